using Hearth.Core.Runs;

namespace Hearth.Core.Placement;

/// <summary>
/// What a task asks of the agent that takes it: a driver (the <c>driver.NAME=true</c> requirement a pinned or named
/// driver adds) and the other labels it requires. Capabilities a task needs join here when drivers advertise them.
/// </summary>
public sealed record PlacementNeeds(string? Driver, IReadOnlyDictionary<string, string> Labels)
{
    private const string DriverPrefix = "driver.";

    public static PlacementNeeds Of(TaskSpec spec) => Of(spec.Requirements);

    public static PlacementNeeds Of(IReadOnlyDictionary<string, string> requirements)
    {
        string? driver = null;
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in requirements)
        {
            if (DriverOfLabel(key) is { } name && value == "true")
                driver = name;
            else
                labels[key] = value;
        }
        return new PlacementNeeds(driver, labels);
    }

    /// <summary>
    /// The driver a <c>driver.NAME</c> label names; null for other labels and for driver attributes (driver.NAME.x,
    /// driver.default).
    /// </summary>
    public static string? DriverOfLabel(string key)
    {
        if (!key.StartsWith(DriverPrefix, StringComparison.Ordinal))
            return null;
        var name = key[DriverPrefix.Length..];
        return name.Length == 0 || name.Contains('.') || name == "default" ? null : name;
    }

    /// <summary>
    /// "driver bubblewrap", "labels group=test", "driver oci and labels arch=arm64"; empty when nothing is asked.
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Driver is not null)
            parts.Add($"driver {Driver}");
        if (Labels.Count > 0)
            parts.Add("labels " + string.Join(",", Labels.Select(l => $"{l.Key}={l.Value}")));
        return string.Join(" and ", parts);
    }
}
