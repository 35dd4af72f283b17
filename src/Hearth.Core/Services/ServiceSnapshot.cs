using Hearth.Core.Placement;

namespace Hearth.Core.Services;

/// <summary>
/// Everything the reconciler decides from, read at one moment: the desired project, its replicas as they are, and the
/// agents (one per agent name: the latest registration).
/// </summary>
/// <param name="Removing"><c>down</c> was asked: every replica stops and the project goes.</param>
public sealed record ServiceSnapshot(
    ProjectSpec Project,
    bool Removing,
    IReadOnlyList<ReplicaStatus> Replicas,
    IReadOnlyList<AgentSnapshot> Agents,
    DateTimeOffset Now
);
