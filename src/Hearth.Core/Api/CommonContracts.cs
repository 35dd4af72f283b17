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
public sealed record AgentView(string Id, string Name, IReadOnlyDictionary<string, string> Labels, int Capacity, string Version,
    DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt);
