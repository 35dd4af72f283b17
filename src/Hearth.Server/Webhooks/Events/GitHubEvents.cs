using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>
/// GitHub (<c>X-GitHub-Event</c>): <c>push</c> to a branch or a tag, <c>pull_request</c>. A tag push arrives both as
/// <c>push</c> (refs/tags/…) and as <c>create</c>; the push is the one that starts runs, so <c>create</c> is ignored.
/// </summary>
public sealed class GitHubEvents : IEventNormaliser
{
    public ForgeEvent Normalise(string @event, JsonElement payload) =>
        @event switch
        {
            "push" => Push(@event, payload),
            "pull_request" => PullRequest(@event, payload, "pull_request"),
            "create" => ForgeEvent.Ignore(@event, "a created tag or branch is started by its push event"),
            "ping" => ForgeEvent.Ignore(@event, "ping"),
            _ => ForgeEvent.Ignore(@event, $"event '{@event}' starts no runs"),
        };

    internal static ForgeEvent Push(string @event, JsonElement payload)
    {
        var fullRef = Json.Str(payload, "ref");
        var after = Json.Str(payload, "after");
        if (Json.Bool(payload, "deleted") || Json.IsZeroSha(after))
            return ForgeEvent.Ignore(@event, $"{fullRef} was deleted");
        // An annotated tag's 'after' is the tag object; head_commit is the commit it points at.
        var sha = Json.Str(payload, "head_commit", "id") ?? after;
        if (Refs.Tag(fullRef) is { } tag)
            return new ForgeEvent
            {
                Kind = ForgeEventKind.Tag,
                Event = @event,
                Tag = tag,
                CommitSha = sha,
            };
        if (Refs.Branch(fullRef) is { } branch)
            return new ForgeEvent
            {
                Kind = ForgeEventKind.Push,
                Event = @event,
                Branch = branch,
                CommitSha = sha,
                ChangedPaths = Json.CommitPaths(payload),
            };
        return ForgeEvent.Ignore(@event, $"ref '{fullRef}' is neither a branch nor a tag");
    }

    /// <summary>GitHub's and Gitea's pull request payloads share their shape; Gitea says 'synchronized'.</summary>
    internal static ForgeEvent PullRequest(string @event, JsonElement payload, string prField)
    {
        var action = Json.Str(payload, "action");
        var merged = Json.Bool(payload, prField, "merged");
        var normalised = action switch
        {
            "opened" => PullRequestActions.Opened,
            "synchronize" or "synchronized" => PullRequestActions.Synchronize,
            "reopened" => PullRequestActions.Reopened,
            "closed" => merged ? PullRequestActions.Merged : PullRequestActions.Closed,
            _ => null,
        };
        if (normalised is null)
            return ForgeEvent.Ignore(@event, $"pull request action '{action}' starts no runs");
        return new ForgeEvent
        {
            Kind = ForgeEventKind.PullRequest,
            Event = @event,
            PrAction = normalised,
            PrNumber = Json.Int(payload, prField, "number") ?? Json.Int(payload, "number"),
            CommitSha = Json.Str(payload, prField, "head", "sha"),
            Branch = Json.Str(payload, prField, "base", "ref"),
            HeadBranch = Json.Str(payload, prField, "head", "ref"),
            FromFork = !Json.Same(
                Json.At(payload, prField, "head", "repo", "full_name"),
                Json.At(payload, prField, "base", "repo", "full_name")
            ),
        };
    }
}
