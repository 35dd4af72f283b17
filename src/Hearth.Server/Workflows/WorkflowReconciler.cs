using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Workflows;

/// <summary>
/// Advances every live workflow run now and then, so a step that ended while its server crashed (or that the
/// rescuer failed) still moves its run on. On one server at a time, like the other background loops.
/// </summary>
public sealed class WorkflowReconciler(IRunStore store, WorkflowService workflows, ILeaderLock leader, ServerOptions options, TimeProvider time,
    ILogger<WorkflowReconciler> logger) : Background.LeaderLoop(leader, time, logger, "workflow reconcile")
{
    private static readonly RunState[] Live = [RunState.Starting, RunState.Running, RunState.Terminating];

    public async Task SweepAsync(CancellationToken ct)
    {
        foreach (var run in await store.ListRunsAsync(new RunQuery(Live, 0), ct))
        {
            if (run.Kind == WorkflowService.Kind) await workflows.AdvanceAsync(run.Id, ct);
        }
    }

    protected override TimeSpan Interval => options.RescueInterval * 2;

    protected override Task TickAsync(CancellationToken ct) => SweepAsync(ct);
}
