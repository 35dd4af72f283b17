using System.Text.Json;

namespace Hearth.Server.Webhooks.Events;

/// <summary>
/// Gitea (<c>X-Gitea-Event</c>) and Forgejo (<c>X-Forgejo-Event</c>), which share payloads: <c>push</c> to a branch,
/// <c>create</c> of a tag (a tag's own <c>push</c> is ignored so one tag starts its runs once), <c>pull_request</c>.
/// </summary>
public sealed class GiteaEvents : IEventNormaliser
{
    public ForgeEvent Normalise(string @event, JsonElement payload)
    {
        switch (@event)
        {
            case "push":
                var fullRef = Json.Str(payload, "ref");
                if (Refs.Tag(fullRef) is not null)
                    return ForgeEvent.Ignore(@event, "a tag is started by its create event");
                return GitHubEvents.Push(@event, payload) with { CommitSha = Json.Str(payload, "after") };
            case "create":
                var refType = Json.Str(payload, "ref_type");
                var name = Json.Str(payload, "ref");
                if (refType != "tag")
                    return ForgeEvent.Ignore(@event, $"a created {refType} is started by its push event");
                return new ForgeEvent
                {
                    Kind = ForgeEventKind.Tag,
                    Event = @event,
                    Tag = Refs.Tag(name) ?? name,
                    CommitSha = Json.Str(payload, "sha"),
                };
            case "pull_request":
                return GitHubEvents.PullRequest(@event, payload, "pull_request");
            default:
                return ForgeEvent.Ignore(@event, $"event '{@event}' starts no runs");
        }
    }
}
