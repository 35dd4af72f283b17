using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Lifecycle.Tests.Snapshots;

namespace Hearth.Lifecycle.Tests;

public sealed class ServiceReplicaRulesTests
{
    private static readonly LifecycleRules Rules = new();

    [Fact]
    public void A_replica_that_exits_is_restarted_after_a_back_off_that_doubles()
    {
        TimeSpan? After(int attempt) => Rules.Decide(Of(RunKinds.Deployment, RunState.Running, null,
                Task("web.1", TaskState.Running, TaskKind.ServiceReplica, attempt: attempt)),
            new TaskReported("run1-web.1", new TaskResult(0), null, T0)).Tasks.Single().NotBefore - T0;

        Assert.Equal(TimeSpan.FromSeconds(1), After(1));
        Assert.Equal(TimeSpan.FromSeconds(4), After(3));
        Assert.Equal(TimeSpan.FromMinutes(1), After(12));
    }

    [Fact]
    public void A_stopped_deployment_s_replica_ends_and_so_does_the_deployment()
    {
        var snapshot = Of(RunKinds.Deployment, RunState.Terminating, null,
            Task("web.1", TaskState.Running, TaskKind.ServiceReplica, stop: StopReason.Killed));
        var plan = Rules.Decide(snapshot, new TaskReported("run1-web.1", new TaskResult(143), null, T0));
        Assert.Equal(TaskState.Stopped, Assert.Single(plan.Tasks).To);
        Assert.Equal(RunState.Stopped, plan.Run!.To);
    }
}
