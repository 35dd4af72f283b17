using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>
/// The drivers this agent runs: those its operator allows (<c>--drivers</c>) that are healthy here, and which one a
/// task gets when it names none. Without an allow-list, every healthy isolating driver is allowed; the process driver,
/// which runs commands as the agent's own user with the host's filesystem and network, only when named.
/// </summary>
public sealed class DriverSet
{
    /// <summary>What the agent says when process is allowed, and the refusal names as the alternative.</summary>
    public const string ProcessWarning =
        "the process driver runs commands unsandboxed, as this agent's user, with the host's filesystem and network";

    /// <summary>The label of an agent with a driver that runs images.</summary>
    public const string ImagesLabel = Hearth.Core.Api.DriverLabels.Images;

    private readonly Dictionary<string, ISandboxDriver> _healthy = new(StringComparer.Ordinal);
    private readonly bool _named;

    /// <param name="allowed">Driver names the operator allows; null: every healthy isolating driver.</param>
    /// <exception cref="ArgumentException">A name is not a driver, or the preferred default is not usable.</exception>
    /// <exception cref="InvalidOperationException">No allowed driver is usable here.</exception>
    public DriverSet(
        IEnumerable<ISandboxDriver> drivers,
        IReadOnlyCollection<string>? allowed,
        string? preferredDefault
    )
    {
        var all = drivers.ToList();
        _named = allowed is not null;
        var known = all.Select(d => d.Name).ToList();
        foreach (var name in allowed ?? [])
        {
            if (!known.Contains(name))
                throw new ArgumentException(
                    $"--drivers: '{name}' is not a driver (expected some of {string.Join(", ", known)})"
                );
        }
        foreach (var driver in all)
        {
            var isolating = driver.Capabilities.Isolates;
            if (allowed is null ? !isolating : !allowed.Contains(driver.Name))
                continue;
            var fingerprint = driver.Fingerprint();
            Fingerprints[driver.Name] = fingerprint;
            if (fingerprint.Healthy)
                _healthy[driver.Name] = driver;
        }
        if (_healthy.Count == 0)
            throw new InvalidOperationException(NoneUsable(allowed));
        HostCheckout = all.FirstOrDefault(d =>
            d.Name == "bubblewrap"
            && (Fingerprints.TryGetValue(d.Name, out var known) ? known : d.Fingerprint()).Healthy
        );
        if (preferredDefault is not null)
        {
            Default = _healthy.GetValueOrDefault(preferredDefault)
                ?? throw new ArgumentException(
                    $"--default-driver '{preferredDefault}' is not usable here: "
                        + (
                            Fingerprints.GetValueOrDefault(preferredDefault)?.Reason
                            ?? "not among the allowed drivers (--drivers)"
                        )
                );
        }
        else
        {
            Default = _healthy.GetValueOrDefault("bubblewrap") ?? _healthy.GetValueOrDefault("process");
        }
    }

    /// <summary>Fingerprints of the allowed drivers, healthy or not.</summary>
    public Dictionary<string, DriverFingerprint> Fingerprints { get; } = new(StringComparer.Ordinal);

    /// <summary>The driver of a task that names none; null when no allowed driver runs a bare command.</summary>
    public ISandboxDriver? Default { get; }

    public IEnumerable<string> Names => _healthy.Keys;

    /// <summary>
    /// Where the git checkout of a task on an image driver runs: bubblewrap on the agent's host (its git, the host's
    /// /usr read-only, the task's workspace as its only writable directory), as gitlab-runner's helper clones beside
    /// the job's container, so the job's image needs no git. Used whether or not the operator allows bubblewrap for
    /// tasks: the checkout is the agent's own phase. Null when bubblewrap does not work here: the checkout runs in the
    /// image.
    /// </summary>
    public ISandboxDriver? HostCheckout { get; }

    /// <summary>True when an allowed driver runs commands without isolation (the operator asked for it).</summary>
    public bool AllowsUnsandboxed => _healthy.Values.Any(d => !d.Capabilities.Isolates);

    /// <summary>Drivers the operator named that are not healthy here, with why (the agent says so at start).</summary>
    public IEnumerable<(string Name, string Reason)> Unusable =>
        _named ? Fingerprints.Where(f => !f.Value.Healthy).Select(f => (f.Key, f.Value.Reason ?? "unhealthy")) : [];

    public ISandboxDriver? Resolve(string? name) => name is null ? Default : _healthy.GetValueOrDefault(name);

    /// <summary>
    /// The driver of a task: the one it names, else for an image the first allowed driver that runs images.
    /// </summary>
    public ISandboxDriver? Resolve(string? name, bool image) =>
        name is not null || !image ? Resolve(name) : _healthy.Values.FirstOrDefault(d => d.Capabilities.RunsImages);

    /// <summary>What each allowed healthy driver can do, as the agent advertises it at registration.</summary>
    public List<Hearth.Core.Api.AgentDriverView> Advertised() =>
        _healthy.Values.Select(d => d.Capabilities.ToView(d.Name, d == Default)).ToList();

    /// <summary>
    /// Labels the agent advertises: driver.NAME=true per allowed healthy driver, plus each one's attributes.
    /// </summary>
    public Dictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, fingerprint) in Fingerprints)
        {
            if (!fingerprint.Healthy)
                continue;
            labels[$"driver.{name}"] = "true";
            foreach (var (key, value) in fingerprint.Attributes)
                labels.TryAdd(key, value);
        }
        if (Default is not null)
            labels["driver.default"] = Default.Name;
        // What a task without a driver but with an image asks for (the server never names a driver for it).
        if (_healthy.Values.Any(d => d.Capabilities.RunsImages))
            labels[ImagesLabel] = "true";
        return labels;
    }

    private string NoneUsable(IReadOnlyCollection<string>? allowed)
    {
        var why = string.Join("; ", Fingerprints.Select(f => $"{f.Key}: {f.Value.Reason}"));
        if (allowed is null)
            return $"no sandboxing driver is usable here ({why}); install bubblewrap (apt-get install bubblewrap), "
                + $"or start with --drivers process, knowing that {ProcessWarning}";
        return $"none of the allowed drivers is usable here ({why})";
    }
}
