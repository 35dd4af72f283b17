using System.Collections.Immutable;

namespace Hearth.Compose.Model;

public sealed record BuildSpec(
    string Context,
    string? Dockerfile,
    string? DockerfileInline,
    string? Target,
    ImmutableSortedDictionary<string, string?> Args,
    ImmutableSortedDictionary<string, ComposeValue> Other
);

public sealed record EnvFileReference(string Path, bool Required);

/// <summary>A published port; <see cref="Published"/> is a port or range on the host, null for "any".</summary>
public sealed record ServicePort(
    int Target,
    string? Published,
    string? HostIp,
    string Protocol,
    string Mode,
    string? Name,
    string? AppProtocol
);

public sealed record ServiceVolume(
    string Type,
    string? Source,
    string Target,
    bool ReadOnly,
    string? Consistency,
    BindOptions? Bind,
    VolumeOptions? Volume,
    TmpfsOptions? Tmpfs
);

public sealed record BindOptions(string? Propagation, bool? CreateHostPath, string? SELinux);

public sealed record VolumeOptions(bool? NoCopy, string? Subpath);

public sealed record TmpfsOptions(long? Size, long? Mode);

public sealed record ServiceNetwork(
    ImmutableArray<string> Aliases,
    string? Ipv4Address,
    string? Ipv6Address,
    string? MacAddress,
    double? Priority,
    ImmutableSortedDictionary<string, ComposeValue> Other
);

public enum DependencyCondition
{
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

public sealed record ServiceDependency(DependencyCondition Condition, bool Restart, bool Required);

public sealed record Healthcheck(
    ImmutableArray<string> Test,
    TimeSpan? Interval,
    TimeSpan? Timeout,
    TimeSpan? StartPeriod,
    TimeSpan? StartInterval,
    long? Retries,
    bool Disable
);

public sealed record FileReference(string Source, string? Target, string? Uid, string? Gid, long? Mode);

public sealed record LoggingSpec(string? Driver, ImmutableSortedDictionary<string, string?> Options);

public sealed record DeploySpec(
    string? Mode,
    long? Replicas,
    ResourceSpec? Limits,
    ResourceSpec? Reservations,
    RestartPolicy? RestartPolicy,
    PlacementSpec? Placement,
    ImmutableSortedDictionary<string, string> Labels,
    ImmutableSortedDictionary<string, ComposeValue> Other
);

public sealed record ResourceSpec(
    double? Cpus,
    long? MemoryBytes,
    long? Pids,
    ImmutableArray<ComposeValue> Devices,
    ImmutableArray<ComposeValue> GenericResources
);

public sealed record RestartPolicy(string? Condition, TimeSpan? Delay, long? MaxAttempts, TimeSpan? Window);

public sealed record PlacementSpec(
    ImmutableArray<string> Constraints,
    ImmutableArray<string> Preferences,
    long? MaxReplicasPerNode
);

/// <summary>
/// The <c>x-hearth</c> service extension: where replicas may run and how far the service may scale.
/// </summary>
public sealed record HearthServiceOptions(
    ImmutableArray<string> Constraints,
    long? MinReplicas,
    long? MaxReplicas,
    long? MaxPerAgent
);
