using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>The server, not the agent, owns run timeouts: overdue runs are asked to stop (TERM, grace, KILL) as TIMED_OUT. Sweeps only while this server is the leader.</summary>
public sealed class TimeoutEnforcer(IRunStore store, ILeaderLock leader, RunService runs, ServerOptions options, TimeProvider time, ILogger<TimeoutEnforcer> logger)
    : BackgroundService
{
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var overdue = await store.FindOverdueAsync(time.GetUtcNow(), 100, ct);
        foreach (var runId in overdue)
        {
            logger.LogInformation("run {Run} reached its timeout; stopping it", runId);
            await runs.StopAsync(runId, StopReason.TimedOut, ct);
        }
        return overdue.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.CheckAsync(stoppingToken)) await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "timeout sweep failed; retrying");
            }
            await Task.Delay(options.RescueInterval < TimeSpan.FromMilliseconds(500) ? options.RescueInterval : TimeSpan.FromMilliseconds(500), time, stoppingToken)
                .ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
