using Hearth.Server.Webhooks.Events;
using Hearth.Server.Webhooks.Signatures;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks;

/// <summary>
/// What Hearth knows of one forge's deliveries: how they are authenticated, which header names the event, which
/// carries the delivery's id (the first one present), and how its payloads read.
/// </summary>
public sealed record Forge(
    string Name,
    Func<TimeProvider, ISignatureScheme> Scheme,
    string EventHeader,
    IReadOnlyList<string> DeliveryHeaders,
    IEventNormaliser Events
)
{
    public const string StandardName = "standard";

    public static Forge GitHub { get; } =
        new("github", _ => HexHmacScheme.GitHub, "X-GitHub-Event", ["X-GitHub-Delivery"], new GitHubEvents());

    public static Forge GitLab { get; } =
        new(
            "gitlab",
            _ => GitLabTokenScheme.Instance,
            "X-Gitlab-Event",
            ["Idempotency-Key", "X-Gitlab-Event-UUID"],
            new GitLabEvents()
        );

    public static Forge Gitea { get; } =
        new("gitea", _ => HexHmacScheme.Gitea, "X-Gitea-Event", ["X-Gitea-Delivery"], new GiteaEvents());

    public static Forge Forgejo { get; } =
        new(
            "forgejo",
            _ => HexHmacScheme.Forgejo,
            "X-Forgejo-Event",
            ["X-Forgejo-Delivery", "X-Gitea-Delivery"],
            new GiteaEvents()
        );

    /// <summary>
    /// Cloud sends <c>X-Request-UUID</c>, Data Center <c>X-Request-Id</c>; both sign with <c>X-Hub-Signature:
    /// sha256=</c>.
    /// </summary>
    public static Forge Bitbucket { get; } =
        new(
            "bitbucket",
            _ => HexHmacScheme.Bitbucket,
            "X-Event-Key",
            ["X-Request-UUID", "X-Request-Id"],
            new BitbucketEvents()
        );

    /// <summary>Anything that signs with Standard Webhooks; the event is the payload's <c>type</c>.</summary>
    public static Forge Standard { get; } =
        new(
            StandardName,
            time => new StandardWebhooksScheme(time),
            "webhook-id",
            [StandardWebhooksScheme.IdHeader],
            new StandardEvents()
        );

    /// <summary>The forges a repository may name (<c>hearth repos add --forge</c>).</summary>
    public static IReadOnlyList<Forge> Repositories { get; } = [GitHub, GitLab, Gitea, Forgejo, Bitbucket];

    public static IReadOnlyList<Forge> All { get; } = [.. Repositories, Standard];

    public static Forge? Find(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    /// <summary>The event header's value (for the generic endpoint, the payload says; "" here).</summary>
    public string EventOf(IHeaderDictionary headers) => this == Standard ? "" : headers[EventHeader].ToString();

    /// <summary>The delivery's id from the first delivery header present, or null when the forge sent none.</summary>
    public string? DeliveryOf(IHeaderDictionary headers) =>
        DeliveryHeaders.Select(h => headers[h].ToString()).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
