using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>A task of the snapshot with its retry policy resolved.</summary>
public sealed record TaskFacts(TaskSnapshot Snapshot)
{
    public RunTask Task => Snapshot.Task;
    public TaskSpec Spec => Snapshot.Spec;
    public string Id => Task.Id;

    /// <summary>
    /// The task's policy; the stored max attempts wins, so a task created without a policy keeps its own limit.
    /// </summary>
    public RetryPolicy Policy =>
        (Spec.Retry ?? RetryPolicy.AgentLostOnly(Task.MaxAttempts)) with
        {
            MaxAttempts = Task.MaxAttempts,
        };
}
