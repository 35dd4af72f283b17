using Hearth.Core.Runs;

namespace Hearth.Core.Lifecycle;

/// <summary>One task as the lifecycle sees it: its row and its spec (policies, lock, timeout).</summary>
public sealed record TaskSnapshot(RunTask Task, TaskSpec Spec)
{
    public string Id => Task.Id;
    public TaskState State => Task.State;
    public bool IsLive => !Transitions.Task.IsTerminal(Task.State);

    /// <summary>Whether the task asked for a lock: it holds it, waits in its queue, or will.</summary>
    public bool HasLock => Spec.Lock is not null;
}

/// <summary>
/// Everything a lifecycle decision may read, taken in the transaction that applies it: the run (its tasks in
/// creation order) and each task's spec.
/// </summary>
public sealed record LifecycleSnapshot(Run Run, IReadOnlyList<TaskSnapshot> Tasks)
{
    public TaskSnapshot? Find(string taskId) => Tasks.FirstOrDefault(t => t.Id == taskId);
}
