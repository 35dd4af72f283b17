using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>
/// GitLab (<c>X-Gitlab-Event</c>): <c>Push Hook</c>, <c>Tag Push Hook</c>, <c>Merge Request Hook</c>. A merge request
/// <c>update</c> counts as new commits only when it carries <c>oldrev</c> (GitLab sends it when the source branch
/// moved); other updates (title, labels) are ignored.
/// </summary>
public sealed class GitLabEvents : IEventNormaliser
{
    public ForgeEvent Normalise(string @event, JsonElement payload) =>
        @event switch
        {
            "Push Hook" or "System Hook" when Json.Str(payload, "object_kind") == "push" => Push(@event, payload),
            "Tag Push Hook" or "System Hook" when Json.Str(payload, "object_kind") == "tag_push" => Push(
                @event,
                payload
            ),
            "Merge Request Hook" => MergeRequest(@event, payload),
            _ => ForgeEvent.Ignore(@event, $"event '{@event}' starts no runs"),
        };

    private static ForgeEvent Push(string @event, JsonElement payload)
    {
        var fullRef = Json.Str(payload, "ref");
        var after = Json.Str(payload, "after");
        if (Json.IsZeroSha(after))
            return ForgeEvent.Ignore(@event, $"{fullRef} was deleted");
        // checkout_sha is the commit (a tag push's 'after' is an annotated tag's object).
        var sha = Json.Str(payload, "checkout_sha") ?? after;
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

    private static ForgeEvent MergeRequest(string @event, JsonElement payload)
    {
        var action = Json.Str(payload, "object_attributes", "action");
        var normalised = action switch
        {
            "open" => PullRequestActions.Opened,
            "update" when Json.At(payload, "object_attributes", "oldrev") is not null => PullRequestActions.Synchronize,
            "reopen" => PullRequestActions.Reopened,
            "close" => PullRequestActions.Closed,
            "merge" => PullRequestActions.Merged,
            _ => null,
        };
        if (normalised is null)
            return ForgeEvent.Ignore(
                @event,
                action == "update"
                    ? "merge request updated without new commits"
                    : $"merge request action '{action}' starts no runs"
            );
        return new ForgeEvent
        {
            Kind = ForgeEventKind.PullRequest,
            Event = @event,
            PrAction = normalised,
            PrNumber = Json.Int(payload, "object_attributes", "iid"),
            CommitSha = Json.Str(payload, "object_attributes", "last_commit", "id"),
            Branch = Json.Str(payload, "object_attributes", "target_branch"),
            HeadBranch = Json.Str(payload, "object_attributes", "source_branch"),
            FromFork = !Json.Same(
                Json.At(payload, "object_attributes", "source_project_id"),
                Json.At(payload, "object_attributes", "target_project_id")
            ),
        };
    }
}
