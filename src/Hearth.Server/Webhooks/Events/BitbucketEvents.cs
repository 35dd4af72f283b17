using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>
/// Bitbucket (<c>X-Event-Key</c>), both products as Atlassian documents their payloads. Cloud: <c>repo:push</c>
/// (<c>push.changes[].new</c>), <c>pullrequest:created|updated|fulfilled|rejected</c>. Data Center:
/// <c>repo:refs_changed</c> (<c>changes[]</c>), <c>pr:opened|from_ref_updated|merged|declined</c>. A push of several
/// refs is read from its first change that is not a deletion. Neither lists changed paths.
/// </summary>
public sealed class BitbucketEvents : IEventNormaliser
{
    public ForgeEvent Normalise(string @event, JsonElement payload) =>
        @event switch
        {
            "repo:push" => CloudPush(@event, payload),
            "pullrequest:created" => CloudPullRequest(@event, payload, PullRequestActions.Opened),
            "pullrequest:updated" => CloudPullRequest(@event, payload, PullRequestActions.Synchronize),
            "pullrequest:fulfilled" => CloudPullRequest(@event, payload, PullRequestActions.Merged),
            "pullrequest:rejected" => CloudPullRequest(@event, payload, PullRequestActions.Closed),
            "repo:refs_changed" => ServerPush(@event, payload),
            "pr:opened" => ServerPullRequest(@event, payload, PullRequestActions.Opened),
            "pr:from_ref_updated" => ServerPullRequest(@event, payload, PullRequestActions.Synchronize),
            "pr:merged" => ServerPullRequest(@event, payload, PullRequestActions.Merged),
            "pr:declined" => ServerPullRequest(@event, payload, PullRequestActions.Closed),
            "diagnostics:ping" => ForgeEvent.Ignore(@event, "ping"),
            _ => ForgeEvent.Ignore(@event, $"event '{@event}' starts no runs"),
        };

    private static ForgeEvent CloudPush(string @event, JsonElement payload)
    {
        if (Json.At(payload, "push", "changes") is { ValueKind: JsonValueKind.Array } changes)
        {
            foreach (var change in changes.EnumerateArray())
            {
                if (Json.At(change, "new") is not { } pushed)
                    continue;
                var name = Json.Str(pushed, "name");
                var sha = Json.Str(pushed, "target", "hash");
                return Json.Str(pushed, "type") switch
                {
                    "branch" => new ForgeEvent
                    {
                        Kind = ForgeEventKind.Push,
                        Event = @event,
                        Branch = name,
                        CommitSha = sha,
                    },
                    "tag" or "annotated_tag" => new ForgeEvent
                    {
                        Kind = ForgeEventKind.Tag,
                        Event = @event,
                        Tag = name,
                        CommitSha = sha,
                    },
                    var other => ForgeEvent.Ignore(@event, $"pushed ref type '{other}' starts no runs"),
                };
            }
        }
        return ForgeEvent.Ignore(@event, "the push only deleted refs");
    }

    private static ForgeEvent ServerPush(string @event, JsonElement payload)
    {
        if (Json.At(payload, "changes") is { ValueKind: JsonValueKind.Array } changes)
        {
            foreach (var change in changes.EnumerateArray())
            {
                if (Json.Str(change, "type") == "DELETE")
                    continue;
                var id = Json.Str(change, "ref", "id") ?? Json.Str(change, "refId");
                var sha = Json.Str(change, "toHash");
                if (Refs.Branch(id) is { } branch)
                    return new ForgeEvent
                    {
                        Kind = ForgeEventKind.Push,
                        Event = @event,
                        Branch = branch,
                        CommitSha = sha,
                    };
                if (Refs.Tag(id) is { } tag)
                    return new ForgeEvent
                    {
                        Kind = ForgeEventKind.Tag,
                        Event = @event,
                        Tag = tag,
                        CommitSha = sha,
                    };
            }
        }
        return ForgeEvent.Ignore(@event, "the push only deleted refs");
    }

    private static ForgeEvent CloudPullRequest(string @event, JsonElement payload, string action) =>
        new()
        {
            Kind = ForgeEventKind.PullRequest,
            Event = @event,
            PrAction = action,
            PrNumber = Json.Int(payload, "pullrequest", "id"),
            CommitSha = Json.Str(payload, "pullrequest", "source", "commit", "hash"),
            Branch = Json.Str(payload, "pullrequest", "destination", "branch", "name"),
            HeadBranch = Json.Str(payload, "pullrequest", "source", "branch", "name"),
            FromFork = !Json.Same(
                Json.At(payload, "pullrequest", "source", "repository", "full_name"),
                Json.At(payload, "pullrequest", "destination", "repository", "full_name")
            ),
        };

    private static ForgeEvent ServerPullRequest(string @event, JsonElement payload, string action) =>
        new()
        {
            Kind = ForgeEventKind.PullRequest,
            Event = @event,
            PrAction = action,
            PrNumber = Json.Int(payload, "pullRequest", "id"),
            CommitSha = Json.Str(payload, "pullRequest", "fromRef", "latestCommit"),
            Branch = Json.Str(payload, "pullRequest", "toRef", "displayId"),
            HeadBranch = Json.Str(payload, "pullRequest", "fromRef", "displayId"),
            FromFork = !Json.Same(
                Json.At(payload, "pullRequest", "fromRef", "repository", "id"),
                Json.At(payload, "pullRequest", "toRef", "repository", "id")
            ),
        };
}
