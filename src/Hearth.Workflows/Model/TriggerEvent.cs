namespace Hearth.Workflows.Model;

/// <summary>
/// What happened, as trigger matching needs it: the trigger (push, tag, pull_request, manual, schedule), the branch (a
/// pull request's base branch), the tag, the pull request's action, and the changed paths (null: not known).
/// </summary>
public sealed record TriggerEvent(
    string Trigger,
    string? Branch = null,
    string? Tag = null,
    string? PullRequestAction = null,
    IReadOnlyList<string>? ChangedPaths = null
);
