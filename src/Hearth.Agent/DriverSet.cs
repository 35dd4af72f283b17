using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>The drivers this agent can use, healthy ones only, and which one a task gets when it names none.</summary>
public sealed class DriverSet
{
    private readonly Dictionary<string, ISandboxDriver> _healthy = new(StringComparer.Ordinal);

    public DriverSet(IEnumerable<ISandboxDriver> drivers, string? preferredDefault)
    {
        foreach (var driver in drivers)
        {
            var fingerprint = driver.Fingerprint();
            Fingerprints[driver.Name] = fingerprint;
            if (fingerprint.Healthy) _healthy[driver.Name] = driver;
        }
        Default = preferredDefault is not null
            ? _healthy.GetValueOrDefault(preferredDefault) ?? throw new InvalidOperationException($"default driver '{preferredDefault}' is not usable here: {Fingerprints.GetValueOrDefault(preferredDefault)?.Reason ?? "no such driver"}")
            : _healthy.GetValueOrDefault("bubblewrap") ?? _healthy.GetValueOrDefault("process");
    }

    public Dictionary<string, DriverFingerprint> Fingerprints { get; } = new(StringComparer.Ordinal);

    public ISandboxDriver? Default { get; }

    public ISandboxDriver? Resolve(string? name) => name is null ? Default : _healthy.GetValueOrDefault(name);

    /// <summary>Labels the agent advertises: driver.NAME=true per healthy driver, plus each driver's attributes.</summary>
    public Dictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, fingerprint) in Fingerprints)
        {
            if (!fingerprint.Healthy) continue;
            labels[$"driver.{name}"] = "true";
            foreach (var (key, value) in fingerprint.Attributes) labels.TryAdd(key, value);
        }
        if (Default is not null) labels["driver.default"] = Default.Name;
        return labels;
    }
}
