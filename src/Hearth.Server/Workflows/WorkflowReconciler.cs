using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Workflows;

/// <summary>
/// Moves a live workflow run on when something of it changed, so a step that ended while its server crashed (or that
/// the rescuer failed) still moves its run on. Woken by the change feed (<see cref="SignalKeys.Run"/> pulsed on this
/// server or another) for the runs that changed, it reconciles only those; a slow sweep over every live workflow run
/// (at start, then every <see cref="SweepInterval"/>, and when announcements may have been lost) covers the rest.
/// On the leader only, like the other background loops.
/// </summary>
public sealed class WorkflowReconciler : BackgroundService
{
    private static readonly RunState[] Live = [RunState.Starting, RunState.Running, RunState.Terminating];
    private const int MaxSettled = 10_000;

    private readonly IRunStore _store;
    private readonly WorkflowService _workflows;
    private readonly ILeaderLock _leader;
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkflowReconciler> _logger;
    private readonly IDisposable _watch;
    private readonly Lock _gate = new();
    private HashSet<string> _changed = new(StringComparer.Ordinal);
    private bool _sweepNow = true;
    private TaskCompletionSource _wake = NewWake();
    private long _sweeps;

    // Runs that need no reconciling ever again; read and written by the loop only.
    private readonly HashSet<string> _settled = new(StringComparer.Ordinal);

    public WorkflowReconciler(
        IRunStore store,
        WorkflowService workflows,
        ILeaderLock leader,
        Signals signals,
        ServerOptions options,
        TimeProvider time,
        ILogger<WorkflowReconciler> logger
    )
    {
        _store = store;
        _workflows = workflows;
        _leader = leader;
        _options = options;
        _time = time;
        _logger = logger;
        _watch = signals.Watch(SignalKeys.RunPrefix, key => Changed(key[SignalKeys.RunPrefix.Length..]), SweepSoon);
    }

    /// <summary>How often every live workflow run is looked at even when nothing announced a change.</summary>
    public TimeSpan SweepInterval => _options.RescueInterval * 30;

    /// <summary>Full sweeps made since start.</summary>
    public long Sweeps => Interlocked.Read(ref _sweeps);

    public async Task SweepAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _sweeps);
        foreach (var run in await _store.ListRunsAsync(new RunQuery(Live, 0), ct))
        {
            if (run.Kind == WorkflowService.Kind)
                await _workflows.AdvanceAsync(run.Id, ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await ReconcileUntilStoppedAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping, also when the host is disposed without being stopped (a server that failed to start): an
            // exception out of here would be logged as the service's failure and stop the host.
        }
    }

    private async Task ReconcileUntilStoppedAsync(CancellationToken stoppingToken)
    {
        var nextSweep = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            Task wake;
            lock (_gate)
                wake = _changed.Count > 0 || _sweepNow ? Task.CompletedTask : _wake.Task;
            var untilSweep = nextSweep - _time.GetUtcNow();
            if (untilSweep > TimeSpan.Zero)
                await Signals.WaitAsync(wake, untilSweep, _time, stoppingToken);
            var (runs, sweepNow) = Take();
            try
            {
                if (sweepNow || _time.GetUtcNow() >= nextSweep)
                {
                    // Not the leader: look again in a rescue interval, as the other leader loops do.
                    nextSweep = _time.GetUtcNow() + _options.RescueInterval;
                    if (!await _leader.CheckAsync(stoppingToken))
                        continue;
                    await SweepAsync(stoppingToken);
                    nextSweep = _time.GetUtcNow() + SweepInterval;
                }
                else if (_leader.IsLeader)
                {
                    foreach (var runId in runs)
                        await ReconcileAsync(runId, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError(e, "workflow reconcile failed; the next sweep tries again");
            }
        }
    }

    /// <summary>
    /// Advances one run if it is a live workflow run. A run found to be another kind, or ended, never needs it again
    /// (neither changes back), so each such run costs one read, not one per change.
    /// </summary>
    private async Task ReconcileAsync(string runId, CancellationToken ct)
    {
        if (_settled.Contains(runId))
            return;
        var run = await _store.GetRunAsync(runId, ct);
        if (run is null)
            return;
        if (run.Kind != WorkflowService.Kind || !Live.Contains(run.State))
        {
            if (_settled.Count >= MaxSettled)
                _settled.Clear();
            _settled.Add(runId);
            return;
        }
        await _workflows.AdvanceAsync(runId, ct);
    }

    private void Changed(string runId)
    {
        lock (_gate)
        {
            _changed.Add(runId);
            _wake.TrySetResult();
        }
    }

    private void SweepSoon()
    {
        lock (_gate)
        {
            _sweepNow = true;
            _wake.TrySetResult();
        }
    }

    private (HashSet<string> Runs, bool SweepNow) Take()
    {
        lock (_gate)
        {
            var taken = (_changed, _sweepNow);
            _changed = new HashSet<string>(StringComparer.Ordinal);
            _sweepNow = false;
            if (_wake.Task.IsCompleted)
                _wake = NewWake();
            return taken;
        }
    }

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Dispose()
    {
        _watch.Dispose();
        base.Dispose();
    }
}
