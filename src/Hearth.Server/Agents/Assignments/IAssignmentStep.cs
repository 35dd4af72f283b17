namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// One step that completes an assignment before it is handed out (resolve the task's secrets, its git credentials, its
/// locks' tokens, keep its masks). Steps run in order (<see cref="AssignmentPipeline"/>); each is tested alone.
/// </summary>
public interface IAssignmentStep
{
    /// <summary>The step's name, as a failed task's reason shows it ("secrets", "git credentials", …).</summary>
    string Name { get; }

    Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct);
}

/// <summary>
/// What a step made of a draft: the draft to go on with, a failure (the task ends with it), or a drop.
/// </summary>
public sealed record StepOutcome
{
    private StepOutcome(AssignmentDraft? draft, string? failure)
    {
        Draft = draft;
        Failure = failure;
    }

    /// <summary>Set when the pipeline goes on with this draft.</summary>
    public AssignmentDraft? Draft { get; }

    /// <summary>Set when the task cannot be handed out: what was wrong, in words for the task's reason.</summary>
    public string? Failure { get; }

    /// <summary>Neither: the lease is no longer the task's current one: nothing to hand out or to fail.</summary>
    public bool Dropped => Draft is null && Failure is null;

    public static StepOutcome Next(AssignmentDraft draft) => new(draft, null);

    public static StepOutcome Fail(string failure) => new(null, failure);

    public static StepOutcome Drop() => new(null, null);
}
