namespace Hearth.Server.Webhooks.Events;

/// <summary>What a delivery means to Hearth, the same whichever forge sent it.</summary>
public enum ForgeEventKind
{
    /// <summary>Commits pushed to a branch.</summary>
    Push,

    /// <summary>A tag pushed (created or moved; a deleted tag is ignored).</summary>
    Tag,

    /// <summary>A pull (merge) request opened, updated with commits, reopened, closed or merged.</summary>
    PullRequest,

    /// <summary>Anything else: answered 2xx and recorded, nothing started.</summary>
    Ignored,
}

/// <summary>The pull request actions Hearth tells apart; every other action of a pull request is ignored.</summary>
public static class PullRequestActions
{
    public const string Opened = "opened";
    public const string Synchronize = "synchronize";
    public const string Reopened = "reopened";
    public const string Closed = "closed";
    public const string Merged = "merged";

    public static IReadOnlyList<string> All { get; } = [Opened, Synchronize, Reopened, Closed, Merged];
}

/// <summary>
/// A forge delivery, normalised. <see cref="Branch"/> is the pushed branch, or a pull request's base (target) branch,
/// as branch filters of pull requests filter the branch they merge into; <see cref="HeadBranch"/> is its source.
/// <see cref="ChangedPaths"/> is null when the payload does not list them (pull requests, tags, big pushes).
/// </summary>
public sealed record ForgeEvent
{
    public required ForgeEventKind Kind { get; init; }

    /// <summary>
    /// The forge's own name of the event (its event header's value, e.g. <c>push</c>, <c>Merge Request Hook</c>).
    /// </summary>
    public required string Event { get; init; }

    public string? Branch { get; init; }

    public string? Tag { get; init; }

    public string? CommitSha { get; init; }

    public int? PrNumber { get; init; }

    public string? PrAction { get; init; }

    public string? HeadBranch { get; init; }

    public IReadOnlyList<string>? ChangedPaths { get; init; }

    /// <summary>
    /// A pull request whose head lives in another repository than its base (a fork), or whose payload does not say
    /// where its head lives (then it is taken for one). Such a run is never given secrets: anyone can open one.
    /// </summary>
    public bool FromFork { get; init; }

    /// <summary>Why an ignored event starts nothing.</summary>
    public string? IgnoredBecause { get; init; }

    /// <summary>The workflow trigger this event fires: push, tag or pull_request (null when ignored).</summary>
    public string? Trigger =>
        Kind switch
        {
            ForgeEventKind.Push => "push",
            ForgeEventKind.Tag => "tag",
            ForgeEventKind.PullRequest => "pull_request",
            _ => null,
        };

    public static ForgeEvent Ignore(string @event, string because) =>
        new()
        {
            Kind = ForgeEventKind.Ignored,
            Event = @event,
            IgnoredBecause = because,
        };
}
