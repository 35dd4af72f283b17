using System.Text.Json.Serialization;
using Hearth.Core.Runs;

namespace Hearth.Core.Services;

/// <summary>
/// A compose project as the server keeps it (its desired state): each service normalised from the compose model by
/// the CLI, so the server needs no compose files. <c>PUT /api/v1/projects/{name}</c> stores it.
/// </summary>
public sealed record ProjectSpec
{
    public required string Name { get; init; }

    public IReadOnlyList<ServiceDefinition> Services { get; init; } = [];

    /// <summary>The project's networks (compose names, project-scoped).</summary>
    public IReadOnlyList<string> Networks { get; init; } = [];

    /// <summary>The project's named volumes (compose names, project-scoped).</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];
}

/// <summary>One service of a project, with everything a replica of it needs.</summary>
public sealed record ServiceDefinition
{
    public required string Name { get; init; }

    public required string Image { get; init; }

    /// <summary>
    /// The container's argv (compose's <c>entrypoint</c> then <c>command</c>); empty: the image's own.
    /// </summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<PublishedPort> Ports { get; init; } = [];

    /// <summary>How many replicas should run (compose's <c>deploy.replicas</c>, or <c>hearth scale</c>).</summary>
    public int Replicas { get; init; } = 1;

    public ServiceRestart Restart { get; init; } = new(RestartMode.No);

    public IReadOnlyList<ServiceDependencySpec> DependsOn { get; init; } = [];

    /// <summary>
    /// <c>x-hearth.constraints</c> and <c>deploy.placement.constraints</c>: agent labels a replica's agent must (not)
    /// carry.
    /// </summary>
    public IReadOnlyList<LabelConstraint> Constraints { get; init; } = [];

    /// <summary>At most this many replicas of the service on one agent (<c>x-hearth.max_per_agent</c>).</summary>
    public int? MaxPerAgent { get; init; }

    public double? Cpus { get; init; }

    public long? MemoryBytes { get; init; }

    public int? Pids { get; init; }

    /// <summary>The image pull policy (missing, always, never); null for the agent's default.</summary>
    public string? Pull { get; init; }

    public string? Hostname { get; init; }

    public IReadOnlyList<ServiceNetworkAttachment> Networks { get; init; } = [];

    /// <summary>
    /// Compose's <c>network_mode</c> when the service is not on the project's networks: <c>none</c> (loopback only) or
    /// <c>service:X</c> (replica i joins the network namespace of X's replica i, on its agent). Null:
    /// <see cref="Networks"/>. Nullable fields like this one are left out of <see cref="DefinitionHash"/> when unset,
    /// so existing hashes hold.
    /// </summary>
    public string? NetworkMode { get; init; }

    /// <summary>
    /// Compose's <c>ipc: service:X</c>: replica i joins the IPC namespace of X's replica i, on its agent.
    /// </summary>
    public string? IpcOf { get; init; }

    /// <summary>
    /// Compose's <c>volumes_from</c> services: their volumes and binds are already in <see cref="Mounts"/>; named here
    /// because replica i must run where X's replica i runs (named volumes live on the agent).
    /// </summary>
    public IReadOnlyList<string>? VolumesFrom { get; init; }

    public IReadOnlyList<ServiceMount> Mounts { get; init; } = [];

    public IReadOnlyList<ServiceFile> Files { get; init; } = [];

    public HealthCheckSpec? HealthCheck { get; init; }

    /// <summary>Capabilities, sysctls, user, working directory, read-only root, stop signal; null: none set.</summary>
    public ContainerSettings? Container { get; init; }

    public const string ServicePrefix = "service:";

    /// <summary>
    /// The service whose replica's network namespace this one's replicas join (<c>network_mode: service:X</c>).
    /// </summary>
    [JsonIgnore]
    public string? NetworkOf =>
        NetworkMode is { } mode && mode.StartsWith(ServicePrefix, StringComparison.Ordinal)
            ? mode[ServicePrefix.Length..]
            : null;

    /// <summary>
    /// The services whose namespaces this one's replicas join: their replica i must be running first.
    /// </summary>
    [JsonIgnore]
    public IEnumerable<string> NamespacePartners =>
        new[] { NetworkOf, IpcOf }.OfType<string>().Distinct(StringComparer.Ordinal);

    /// <summary>
    /// The services whose replica i this one's replica i runs beside, on the same agent: namespace partners and
    /// <c>volumes_from</c> sources.
    /// </summary>
    [JsonIgnore]
    public IEnumerable<string> CoPlacedWith =>
        NamespacePartners.Concat(VolumesFrom ?? []).Distinct(StringComparer.Ordinal);
}

[JsonConverter(typeof(LowerSnakeEnumConverter<RestartMode>))]
public enum RestartMode
{
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

/// <param name="MaxRetries"><c>on-failure:N</c>'s N; null: no limit.</param>
public sealed record ServiceRestart(RestartMode Mode, int? MaxRetries = null)
{
    /// <summary>
    /// Parses compose's <c>restart</c> (<c>no</c>, <c>always</c>, <c>on-failure[:N]</c>, <c>unless-stopped</c>).
    /// </summary>
    public static bool TryParse(string? text, out ServiceRestart restart)
    {
        restart = new ServiceRestart(RestartMode.No);
        var value = text?.Trim() ?? "no";
        if (value is "no" or "\"no\"" or "")
            return true;
        if (value == "always")
        {
            restart = new(RestartMode.Always);
            return true;
        }
        if (value == "unless-stopped")
        {
            restart = new(RestartMode.UnlessStopped);
            return true;
        }
        if (value == "on-failure")
        {
            restart = new(RestartMode.OnFailure);
            return true;
        }
        if (
            value.StartsWith("on-failure:", StringComparison.Ordinal)
            && int.TryParse(value["on-failure:".Length..], out var max)
            && max >= 0
        )
        {
            restart = new(RestartMode.OnFailure, max);
            return true;
        }
        return false;
    }
}

[JsonConverter(typeof(LowerSnakeEnumConverter<DependencyKind>))]
public enum DependencyKind
{
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

/// <param name="Restart">Restart this service when the dependency restarts (compose's <c>restart: true</c>).</param>
/// <param name="Required">false: a dependency missing from the project is ignored.</param>
public sealed record ServiceDependencySpec(
    string Service,
    DependencyKind Condition,
    bool Restart = false,
    bool Required = true
);

/// <summary>An agent label that must (<see cref="Equal"/>) or must not have a value.</summary>
public sealed record LabelConstraint(string Label, string Value, bool Equal = true)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Label, out var actual) && actual == Value ? Equal : !Equal;

    public override string ToString() => $"{Label}{(Equal ? "==" : "!=")}{Value}";
}
