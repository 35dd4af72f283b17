using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>
/// The generic endpoint's payload, in Standard Webhooks' envelope: <c>{"type": "push"|"tag"|"pull_request",
/// "timestamp": "…", "data": {"branch", "tag", "commit_sha", "pr_number", "action", "head_branch",
/// "changed_paths"}}</c>. Any other type is ignored.
/// </summary>
public sealed class StandardEvents : IEventNormaliser
{
    public ForgeEvent Normalise(string @event, JsonElement payload)
    {
        var type = Json.Str(payload, "type") ?? @event;
        var data = Json.At(payload, "data") ?? default;
        IReadOnlyList<string>? paths = Json.At(data, "changed_paths") is { ValueKind: JsonValueKind.Array } list
            ? list.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.String).Select(p => p.GetString()!).ToList()
            : null;
        var sha = Json.Str(data, "commit_sha");
        return type switch
        {
            "push" when Json.Str(data, "branch") is { } branch => new ForgeEvent
            {
                Kind = ForgeEventKind.Push,
                Event = type,
                Branch = branch,
                CommitSha = sha,
                ChangedPaths = paths,
            },
            "tag" when Json.Str(data, "tag") is { } tag => new ForgeEvent
            {
                Kind = ForgeEventKind.Tag,
                Event = type,
                Tag = tag,
                CommitSha = sha,
            },
            "pull_request" when PullRequestActions.All.Contains(Json.Str(data, "action") ?? "") => new ForgeEvent
            {
                Kind = ForgeEventKind.PullRequest,
                Event = type,
                PrAction = Json.Str(data, "action"),
                PrNumber = Json.Int(data, "pr_number"),
                CommitSha = sha,
                Branch = Json.Str(data, "branch"),
                HeadBranch = Json.Str(data, "head_branch"),
                ChangedPaths = paths,
                // The sender must say the head is in the same repository; without it the pull request is a fork's.
                FromFork = !Json.Bool(data, "same_repository"),
            },
            _ => ForgeEvent.Ignore(
                type,
                $"type '{type}' starts no runs (expected push with data.branch, tag with data.tag, or pull_request with data.action)"
            ),
        };
    }
}
