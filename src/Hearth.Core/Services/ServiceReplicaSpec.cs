using System.Text.Json.Serialization;

namespace Hearth.Core.Services;

/// <summary>
/// What a task of kind <c>ServiceReplica</c> carries beyond an ordinary task: which replica of which service it is, the
/// networks it joins, its mounts and files, and its health check. Stored with the task (<c>TaskSpec.Service</c>) and
/// handed to the agent with the lease (<c>Assignment.Service</c>). The reconciler writes it; the agent only reads it.
/// </summary>
public sealed record ServiceReplicaSpec
{
    /// <summary>The compose project's name (<c>-p</c>, else the file's <c>name:</c> or directory).</summary>
    public required string Project { get; init; }

    public required string Service { get; init; }

    /// <summary>1-based, stable across restarts and moves: replica 2 of <c>api</c> is always <c>api-2</c>.</summary>
    public required int Replica { get; init; }

    /// <summary>The hash of the service's definition; a change of it rolls the replica.</summary>
    public required string DefinitionHash { get; init; }

    public string? Hostname { get; init; }

    public IReadOnlyList<ServiceNetworkAttachment> Networks { get; init; } = [];

    /// <summary>
    /// <c>none</c> or <c>service:X</c> (see <see cref="ServiceDefinition.NetworkMode"/>); null: <see cref="Networks"/>.
    /// </summary>
    public string? NetworkMode { get; init; }

    /// <summary>
    /// The service whose replica of the same number this one shares its IPC namespace with (on this agent).
    /// </summary>
    public string? IpcOf { get; init; }

    public IReadOnlyList<ServiceMount> Mounts { get; init; } = [];

    /// <summary>Secrets and configs, written as files into the container before it starts.</summary>
    public IReadOnlyList<ServiceFile> Files { get; init; } = [];

    /// <summary>
    /// Null: the service has none (or <c>disable: true</c> / <c>NONE</c>); the replica is healthy once running.
    /// </summary>
    public HealthCheckSpec? HealthCheck { get; init; }

    /// <summary>
    /// The service's <see cref="ServiceDefinition.Container"/>: what the agent sets up in the container beyond its
    /// image.
    /// </summary>
    public ContainerSettings? Container { get; init; }
}

/// <summary>
/// A compose network the replica joins; <see cref="Network"/> is project-scoped (the project's own name space).
/// </summary>
/// <param name="Aliases">Names it answers to on that network beyond the service name and its replica's
/// hostname.</param>
/// <param name="Ipv4Address">compose's <c>ipv4_address</c>: the replica's fixed address there (a one-replica
/// service).</param>
/// <param name="Subnet">The network's declared subnet (compose's <c>ipam.config[].subnet</c>): its bridge uses it
/// instead of one from the agent's range, and every replica on it runs on one agent.</param>
/// <param name="Internal">Compose's <c>internal: true</c>: the network reaches nothing beyond its own sandboxes (no
/// outbound traffic, no other network, not the host).</param>
public sealed record ServiceNetworkAttachment(
    string Network,
    IReadOnlyList<string> Aliases,
    string? Ipv4Address = null,
    string? Subnet = null,
    // Left out when false, so the definition hash of every replica on an ordinary network is what it was.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Internal = false
);

[JsonConverter(typeof(LowerSnakeEnumConverter<ServiceMountKind>))]
public enum ServiceMountKind
{
    Volume,
    Bind,
    Tmpfs,
}

/// <param name="Source">The named volume (project-scoped), the host path of a bind, null for tmpfs.</param>
/// <param name="SizeBytes">tmpfs only: its size limit, null for the driver's default.</param>
public sealed record ServiceMount(
    ServiceMountKind Kind,
    string? Source,
    string Target,
    bool ReadOnly,
    long? SizeBytes = null
);

/// <summary>A file written into the container: a compose secret or config.</summary>
/// <param name="SecretName">A Hearth secret whose value is the file's content (decrypted at lease time, never
/// stored).</param>
/// <param name="Content">The content itself: a config's, or a compose secret's as <c>hearth up</c> sends it (the server
/// seals a secret's on arrival and keeps no plain copy).</param>
/// <param name="Mode">Unix permission bits, as compose's <c>mode</c>; 0444 when unset.</param>
/// <param name="Secret">A compose secret: its content is sealed by the server, handed to the agent only in the
/// assignment's secret files, masked in the replica's log and never shown.</param>
/// <param name="Sealed">The server's: a secret's content encrypted under its key (<c>KEYID:BASE64</c>); never sent to
/// clients.</param>
public sealed record ServiceFile(
    string Target,
    string? SecretName,
    string? Content,
    int Mode = 0x124,
    bool Secret = false,
    string? Sealed = null
);

/// <summary>A compose <c>healthcheck</c> as the agent runs it through the driver's exec.</summary>
/// <param name="Test">argv: compose's <c>CMD</c> form as given, <c>CMD-SHELL</c> as <c>/bin/sh -c STRING</c>.</param>
public sealed record HealthCheckSpec(
    IReadOnlyList<string> Test,
    TimeSpan Interval,
    TimeSpan Timeout,
    int Retries,
    TimeSpan StartPeriod,
    TimeSpan StartInterval
);
