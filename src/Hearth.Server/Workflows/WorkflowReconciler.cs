using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Workflows;

/// <summary>
/// Advances every live workflow run now and then, so a step that ended while its server crashed (or that the
/// rescuer failed) still moves its run on. On one server at a time, like the other background loops.
/// </summary>
public sealed class WorkflowReconciler(IRunStore store, WorkflowService workflows, ILeaderLock leader, ServerOptions options, TimeProvider time,
    ILogger<WorkflowReconciler> logger) : BackgroundService
{
    private static readonly RunState[] Live = [RunState.Starting, RunState.Running, RunState.Terminating];

    public async Task SweepAsync(CancellationToken ct)
    {
        foreach (var run in await store.ListRunsAsync(new RunQuery(Live, 0), ct))
        {
            if (run.Kind == WorkflowService.Kind) await workflows.AdvanceAsync(run.Id, ct);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.RescueInterval * 2;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.CheckAsync(stoppingToken)) await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "workflow reconcile failed; retrying");
            }
            await Task.Delay(interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
