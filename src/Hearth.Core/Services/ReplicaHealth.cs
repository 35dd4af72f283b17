using System.Text.Json.Serialization;

namespace Hearth.Core.Services;

/// <summary>A replica's health as its agent last measured it.</summary>
[JsonConverter(typeof(LowerSnakeEnumConverter<ReplicaHealth>))]
public enum ReplicaHealth
{
    /// <summary>No health check, or not reported yet.</summary>
    None,

    /// <summary>Within <c>start_period</c>, no check has passed yet.</summary>
    Starting,
    Healthy,

    /// <summary><c>retries</c> checks in a row failed.</summary>
    Unhealthy,
}

/// <summary>
/// An agent's report of a replica's health, sent on each change of <see cref="Health"/> (and at least once per
/// check while unhealthy): <c>POST /agent/v1/tasks/{taskId}/health</c>. The server records it, shows it in
/// <c>ps</c> and <c>events</c>, and its reconciler restarts a replica that stays unhealthy.
/// </summary>
/// <param name="FailingStreak">Checks failed in a row.</param>
/// <param name="Output">The last check's output, cut to 4 KiB, for <c>inspect</c>.</param>
public sealed record ReplicaHealthBody(long Epoch, ReplicaHealth Health, int FailingStreak, string? Output);

/// <summary>
/// What an agent's embedded DNS answers for one project network: <c>GET
/// /agent/v1/networks/{project}/{network}/names</c>. <see cref="Version"/> grows with every change, so an agent polling
/// it can tell nothing changed.
/// </summary>
public sealed record NetworkNamesView(long Version, IReadOnlyList<NameRecord> Records);

/// <summary>A name (service, alias or replica hostname) and one IPv4 address of a replica that answers to it.</summary>
public sealed record NameRecord(string Name, string Address);
