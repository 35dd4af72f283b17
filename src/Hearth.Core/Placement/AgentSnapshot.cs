using System.Text.Json.Serialization;

namespace Hearth.Core.Placement;

[JsonConverter(typeof(UpperSnakeEnumConverter<AgentStatus>))]
public enum AgentStatus
{
    /// <summary>Polled or held a live lease recently: takes work.</summary>
    Online,

    /// <summary>Live, but asked to take no more work.</summary>
    Draining,

    /// <summary>Not heard from within the liveness window.</summary>
    Offline,
}

/// <summary>
/// A driver an agent runs. Today only its name (from the agent's <c>driver.NAME=true</c> labels); the driver's
/// capabilities (isolation, network modes, signals, exec, limits) join it here as data, and placement reads them.
/// </summary>
public sealed record DriverSnapshot(string Name);

/// <summary>What placement knows of one agent at one moment: no I/O behind it.</summary>
/// <param name="Running">Tasks the agent holds under a live lease (leased or running).</param>
public sealed record AgentSnapshot(
    string Id,
    string Name,
    AgentStatus Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<DriverSnapshot> Drivers,
    int Capacity,
    int Running,
    DateTimeOffset LastSeenAt
)
{
    public bool HasFreeSlot => Running < Capacity;

    public bool Runs(string driver) => Drivers.Any(d => string.Equals(d.Name, driver, StringComparison.Ordinal));

    /// <summary>Drivers an agent advertises through its labels today: <c>driver.NAME=true</c>.</summary>
    public static IReadOnlyList<DriverSnapshot> DriversFromLabels(IReadOnlyDictionary<string, string> labels) =>
        labels
            .Where(l => PlacementNeeds.DriverOfLabel(l.Key) is not null && l.Value == "true")
            .Select(l => new DriverSnapshot(PlacementNeeds.DriverOfLabel(l.Key)!))
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToList();
}
