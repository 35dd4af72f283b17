using Hearth.Core.Lifecycle;
using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// Collects one decision's transitions and keeps the states they lead to, so a later rule of the same decision
/// (the run's outcome after a task ended) sees the tasks as they will be, not as they were.
/// </summary>
public sealed class PlanBuilder
{
    private readonly List<TaskChange> _tasks = [];
    private readonly Dictionary<string, TaskState> _states;
    private readonly List<SystemLine> _lines = [];
    private RunChange? _run;

    public PlanBuilder(LifecycleSnapshot snapshot)
    {
        Snapshot = snapshot;
        _states = snapshot.Tasks.ToDictionary(t => t.Id, t => t.State, StringComparer.Ordinal);
    }

    public LifecycleSnapshot Snapshot { get; }

    public Run Run => Snapshot.Run;

    /// <summary>The run's state once this plan is applied.</summary>
    public RunState RunState => _run?.To ?? Snapshot.Run.State;

    public TaskState StateOf(TaskSnapshot task) => _states[task.Id];

    public bool IsLive(TaskSnapshot task) => !Transitions.Task.IsTerminal(StateOf(task));

    public IEnumerable<TaskSnapshot> Live => Snapshot.Tasks.Where(IsLive);

    public void Change(TaskChange change)
    {
        _tasks.Add(change);
        _states[change.TaskId] = change.To;
    }

    /// <summary>Moves the run (merged with an earlier move of the same decision: the store sees one change).</summary>
    public void MoveRun(RunState to, Func<RunChange, RunChange>? fill = null)
    {
        var change = (_run ?? new RunChange(Snapshot.Run.State, Snapshot.Run.State)) with
        {
            To = to,
            KeepReason = false,
        };
        _run = fill is null ? change : fill(change);
    }

    /// <summary>
    /// A task never reported running started at <paramref name="startedAt"/>: a starting run is running from then on.
    /// </summary>
    public void StartRun(DateTimeOffset startedAt)
    {
        if (RunState == RunState.Starting)
            MoveRun(RunState.Running, r => r with { StartedAt = r.StartedAt ?? startedAt, KeepReason = true });
        else if (_run is not null)
            _run = _run with { StartedAt = _run.StartedAt ?? startedAt };
    }

    public void Line(string? taskId, int attempt, string text) => _lines.Add(new SystemLine(taskId, attempt, text));

    public LifecyclePlan Build() => new(_tasks, _run, _lines);
}
