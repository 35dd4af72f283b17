using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;
using static Hearth.Lifecycle.Tests.Snapshots;

namespace Hearth.Lifecycle.Tests;

public sealed class ServiceReplicaRulesTests
{
    private static readonly LifecycleRules Rules = new();

    [Fact]
    public void A_replica_that_exits_ends_its_task_and_run_for_the_services_reconciler_to_restart()
    {
        var plan = Rules.Decide(
            Of(
                RunKinds.Deployment,
                RunState.Running,
                null,
                Task("web.1", TaskState.Running, TaskKind.ServiceReplica, attempt: 3)
            ),
            new TaskReported("run1-web.1", new TaskResult(2), null, T0)
        );

        var task = Assert.Single(plan.Tasks);
        Assert.Equal((TaskState.Failed, 2), (task.To, task.ExitCode));
        Assert.Equal(RunState.Failed, plan.Run!.To);
    }

    [Fact]
    public void A_lost_agents_replica_fails_instead_of_waiting_for_the_same_pinned_agent()
    {
        var plan = Rules.Decide(
            Of(RunKinds.Deployment, RunState.Running, null, Task("web.1", TaskState.Running, TaskKind.ServiceReplica)),
            new LeaseExpired("run1-web.1", T0)
        );

        var task = Assert.Single(plan.Tasks);
        Assert.Equal(TaskState.Failed, task.To);
        Assert.StartsWith("agent lost", task.Reason);
    }

    [Fact]
    public void A_stopped_deployment_s_replica_ends_and_so_does_the_deployment()
    {
        var snapshot = Of(
            RunKinds.Deployment,
            RunState.Terminating,
            null,
            Task("web.1", TaskState.Running, TaskKind.ServiceReplica, stop: StopReason.Killed)
        );
        var plan = Rules.Decide(snapshot, new TaskReported("run1-web.1", new TaskResult(143), null, T0));
        Assert.Equal(TaskState.Stopped, Assert.Single(plan.Tasks).To);
        Assert.Equal(RunState.Stopped, plan.Run!.To);
    }
}
