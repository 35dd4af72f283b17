namespace Hearth.Core.Api;

/// <summary>GET /health and /ready.</summary>
public sealed record HealthView(string Status, string? Version = null);

/// <summary>The answer to a delete or revoke: what was done, and to what (one of the names is set).</summary>
public sealed record MessageView(string Message, string? Image = null, string? Name = null, string? Email = null);

/// <summary>An answer with nothing to say but success: <c>{}</c>.</summary>
public sealed record EmptyView
{
    public static EmptyView Instance { get; } = new();
}

/// <summary>An agent as GET /api/v1/agents lists it.</summary>
/// <param name="Status">ONLINE (takes work), DRAINING (live, takes no more) or OFFLINE (not heard from lately).</param>
/// <param name="Drivers">The drivers it runs (from its <c>driver.NAME=true</c> labels).</param>
/// <param name="Running">Tasks it holds under a lease now; <see cref="Capacity"/> is how many it may hold.</param>
public sealed record AgentView(
    string Id,
    string Name,
    Placement.AgentStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Drivers,
    int Capacity,
    int Running,
    string Version,
    DateTimeOffset RegisteredAt,
    DateTimeOffset LastSeenAt,
    DateTimeOffset? DrainingSince
);

/// <summary>
/// GET /api/v1/agents: online agents first, then draining, then offline; the most recently heard from first.
/// </summary>
public sealed record AgentListView(IReadOnlyList<AgentView> Agents);
