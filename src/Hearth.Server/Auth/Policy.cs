namespace Hearth.Server.Auth;

/// <summary>Who may call an endpoint at all: anyone, agent tokens only, or user keys holding a permission.</summary>
public enum Audience
{
    Public,
    Agent,
    User,
}

/// <summary>Whose resource the route names, for the owner rule ("the creator owns what it made").</summary>
public enum Owned
{
    No,
    Run,
    Secret,
    Schedule,
}

/// <param name="Permission">resource.action, granted to roles in <see cref="Policy.Grants"/>; also the audit action
/// name.</param>
/// <param name="Owner">If set, a caller whose role lacks the permission is still allowed on a resource it
/// created.</param>
public sealed record EndpointRule(
    string Method,
    string Route,
    Audience Audience,
    string Permission,
    Owned Owner = Owned.No
);

/// <summary>
/// The one authorization table. An endpoint not listed here is refused to everyone (default deny), and a permission not
/// granted to a role is refused unless the owner rule applies. Tested as a matrix: every role × every endpoint.
/// </summary>
public static class Policy
{
    public static IReadOnlyList<EndpointRule> Endpoints { get; } =
    [
        new("GET", "/health", Audience.Public, "health.read"),
        new("GET", "/ready", Audience.Public, "health.read"),
        new("*", "/metrics", Audience.Public, "metrics.read"),
        new("POST", "/api/v1/claim/{token}", Audience.Public, "users.claim"),
        // The API's description: what the binary serves, printed by `hearth api spec` anywhere; no secret in it.
        new("GET", "/openapi/{documentName}.json", Audience.Public, "openapi.read"),
        // Forges authenticate with the delivery's signature (checked by the receiver over the raw body), not an API
        // key.
        new("POST", "/api/v1/webhooks/{forge}/{name}", Audience.Public, "webhooks.receive"),
        new("*", "{*path:nonfile}", Audience.Public, "unknown"),
        // GitLab's Job Hook: authenticated by its own secret token (X-Gitlab-Token), not by a Hearth key.
        new("POST", "/api/v1/gitlab/hook", Audience.Public, "gitlab.hook"),
        new("POST", "/api/v1/agent/register", Audience.Agent, "agent.register"),
        new("POST", "/api/v1/agent/lease", Audience.Agent, "agent.lease"),
        new("POST", "/api/v1/agent/drain", Audience.Agent, "agent.drain"),
        new("POST", "/api/v1/agent/tasks/{id}/running", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/tasks/{id}/heartbeat", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/tasks/{id}/logs", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/tasks/{id}/complete", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/tasks/{id}/health", Audience.Agent, "agent.report"),
        new("GET", "/api/v1/agent/networks/{project}/{network}/names", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/exec/poll", Audience.Agent, "agent.lease"),
        new("GET", "/api/v1/agent/volumes/removals", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/volumes/removed", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/agent/exec/{session}/output", Audience.Agent, "agent.report"),
        new("POST", "/api/v1/runs", Audience.User, "runs.create"),
        // A build is a command run on the buildah driver, checked against the caller's drivers and images.use.
        new("POST", "/api/v1/builds", Audience.User, "runs.create"),
        new("GET", "/api/v1/runs", Audience.User, "runs.read"),
        new("GET", "/api/v1/runs/{id}", Audience.User, "runs.read", Owned.Run),
        new("GET", "/api/v1/runs/{id}/logs", Audience.User, "runs.read", Owned.Run),
        new("POST", "/api/v1/runs/{id}/kill", Audience.User, "runs.kill", Owned.Run),
        new("GET", "/api/v1/agents", Audience.User, "agents.read"),
        new("POST", "/api/v1/workflows/runs", Audience.User, "runs.create"),
        new("GET", "/api/v1/workflows/runs/{id}", Audience.User, "runs.read", Owned.Run),
        new("POST", "/api/v1/users", Audience.User, "users.create"),
        new("GET", "/api/v1/users", Audience.User, "users.read"),
        new("POST", "/api/v1/users/{email}/revoke", Audience.User, "users.revoke"),
        new("POST", "/api/v1/secrets", Audience.User, "secrets.create"),
        new("GET", "/api/v1/secrets", Audience.User, "secrets.read"),
        new("GET", "/api/v1/secrets/{name}", Audience.User, "secrets.reveal", Owned.Secret),
        new("PUT", "/api/v1/secrets/{name}", Audience.User, "secrets.update", Owned.Secret),
        new("DELETE", "/api/v1/secrets/{name}", Audience.User, "secrets.delete", Owned.Secret),
        new("GET", "/api/v1/locks", Audience.User, "locks.read"),
        new("GET", "/api/v1/locks/{name}", Audience.User, "locks.read"),
        new("POST", "/api/v1/locks/{name}/release", Audience.User, "locks.release"),
        new("GET", "/api/v1/images", Audience.User, "images.read"),
        new("POST", "/api/v1/images", Audience.User, "images.register"),
        new("DELETE", "/api/v1/images/{*reference}", Audience.User, "images.register"),
        new("POST", "/api/v1/gitlab/runners", Audience.User, "gitlab.manage"),
        new("GET", "/api/v1/gitlab/runners", Audience.User, "gitlab.read"),
        new("DELETE", "/api/v1/gitlab/runners/{name}", Audience.User, "gitlab.manage"),
        new("POST", "/api/v1/repos", Audience.User, "repos.create"),
        new("GET", "/api/v1/repos", Audience.User, "repos.read"),
        new("GET", "/api/v1/repos/{name}", Audience.User, "repos.read"),
        new("DELETE", "/api/v1/repos/{name}", Audience.User, "repos.delete"),
        new("PUT", "/api/v1/repos/{name}/secret", Audience.User, "repos.update"),
        new("POST", "/api/v1/repos/{name}/trigger", Audience.User, "repos.trigger"),
        new("GET", "/api/v1/repos/{name}/statuses", Audience.User, "repos.read"),
        new("PUT", "/api/v1/repos/{name}/secrets", Audience.User, "repos.secrets"),
        // A schedule runs as its creator, with the creator's role when it fires: creating one grants nothing new.
        new("POST", "/api/v1/schedules", Audience.User, "schedules.create"),
        new("GET", "/api/v1/schedules", Audience.User, "schedules.read"),
        new("GET", "/api/v1/schedules/{name}", Audience.User, "schedules.read"),
        new("DELETE", "/api/v1/schedules/{name}", Audience.User, "schedules.delete", Owned.Schedule),
        // The web UI (Web/WebEndpoints.cs): each page has the permission of the API call it shows; the session cookie
        // it signs in with stands for the key. Sign-in, sign-out and the static assets need no key.
        new("GET", "/login", Audience.Public, "ui.login"),
        new("POST", "/login", Audience.Public, "ui.login"),
        new("POST", "/logout", Audience.Public, "ui.logout"),
        new("GET", "/assets/{name}", Audience.Public, "ui.assets"),
        new("GET", "/", Audience.User, "runs.read"),
        new("GET", "/runs/{id}", Audience.User, "runs.read", Owned.Run),
        new("POST", "/runs/{id}/kill", Audience.User, "runs.kill", Owned.Run),
        new("GET", "/agents", Audience.User, "agents.read"),
        new("GET", "/locks", Audience.User, "locks.read"),
        // A project's replicas run as its creator's deployment runs, on the oci driver the caller's role must be
        // allowed.
        new("PUT", "/api/v1/projects/{name}", Audience.User, "projects.deploy"),
        new("GET", "/api/v1/projects", Audience.User, "projects.read"),
        new("GET", "/api/v1/projects/{name}", Audience.User, "projects.read"),
        new("DELETE", "/api/v1/projects/{name}", Audience.User, "projects.deploy"),
        new("POST", "/api/v1/projects/{name}/services/{service}/scale", Audience.User, "projects.deploy"),
        new("POST", "/api/v1/projects/{name}/services/{service}/restart", Audience.User, "projects.deploy"),
        new("GET", "/api/v1/projects/{name}/events", Audience.User, "projects.read"),
        // Exec reads what a replica holds (its secrets): granted with deploying, and only on one's own projects
        // (admins: all).
        new("POST", "/api/v1/projects/{name}/exec", Audience.User, "projects.exec"),
        new("GET", "/api/v1/audit", Audience.User, "audit.read"),
        new("GET", "/api/v1/trace/{requestId}", Audience.User, "audit.read"),
    ];

    /// <summary>
    /// Roles as in runvoy. images.use and secrets.use are checked per image and secret a run names. secrets.reveal
    /// (the plaintext) is admin's, or the secret's owner's, only.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Grants { get; } =
        new Dictionary<string, IReadOnlySet<string>>
        {
            [Roles.Admin] = new HashSet<string> { "*" },
            [Roles.Operator] = new HashSet<string>
            {
                "runs.create",
                "runs.read",
                "runs.kill",
                "agents.read",
                "images.use",
                "images.read",
                "images.register",
                "locks.read",
                "gitlab.read",
                "secrets.create",
                "secrets.read",
                "secrets.update",
                "secrets.delete",
                "secrets.use",
                "users.read",
                "repos.create",
                "repos.read",
                "repos.delete",
                "repos.update",
                "repos.trigger",
                "schedules.create",
                "schedules.read",
                "schedules.delete",
                "projects.deploy",
                "projects.read",
                "projects.exec",
            },
            [Roles.Developer] = new HashSet<string>
            {
                "runs.create",
                "runs.read",
                "locks.read",
                "images.use",
                "images.read",
                "secrets.create",
                "secrets.read",
                "secrets.use",
                "repos.read",
                "repos.trigger",
                "schedules.create",
                "schedules.read",
                "projects.deploy",
                "projects.read",
                "projects.exec",
            },
            [Roles.Viewer] = new HashSet<string> { "runs.read", "locks.read", "schedules.read", "projects.read" },
        };

    public static bool IsGranted(string role, string permission) =>
        Grants.TryGetValue(role, out var granted) && (granted.Contains("*") || granted.Contains(permission));

    public static EndpointRule? Find(string method, string route)
    {
        var normalized = route.Length > 1 ? route.TrimEnd('/') : route;
        foreach (var rule in Endpoints)
        {
            if (
                string.Equals(rule.Route, normalized, StringComparison.Ordinal)
                && (rule.Method == "*" || string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase))
            )
                return rule;
        }
        return null;
    }
}
