using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Core.Api;

/// <param name="Drivers">What each driver the agent runs can do (null from agents older than the field).</param>
public sealed record RegisterAgentBody(string Name, Dictionary<string, string> Labels, int Capacity, string Version,
    IReadOnlyList<AgentDriverView>? Drivers = null);

/// <summary>Labels an agent derives from its drivers' capabilities, which a task's requirements can name.</summary>
public static class DriverLabels
{
    /// <summary>"true" on an agent with a driver that runs images: what a run with an image but no driver requires.</summary>
    public const string Images = "sandbox.images";
}

/// <summary>
/// One sandbox driver an agent runs and what it can do, as data the server checks requests against.
/// </summary>
/// <param name="Filesystem">none, namespaces, image or vm.</param>
/// <param name="NetworkModes">Any of none, host, bridge.</param>
/// <param name="Ports">Host ports can be published into its sandboxes.</param>
/// <param name="Signals">Any signal can be sent to a running command.</param>
/// <param name="Exec">A command can be run inside a running sandbox.</param>
/// <param name="Recover">Its sandboxes outlive an agent restart.</param>
/// <param name="Limits">Any of cpu, memory, pids.</param>
/// <param name="Default">The driver a task that names none gets (a bare command; an image goes to one that runs images).</param>
public sealed record AgentDriverView(string Name, string Filesystem, IReadOnlyList<string> NetworkModes, bool Ports, bool Signals,
    bool Exec, bool Recover, IReadOnlyList<string> Limits, bool Default = false)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool RunsImages => Filesystem is "image" or "vm";
}

public sealed record RegisterAgentView(string AgentId, double LeaseTtlSeconds, double HeartbeatSeconds, double LongPollSeconds);

public sealed record LeaseBody(string AgentId, double? WaitSeconds);

/// <summary>
/// A granted task. Every later call about it carries <see cref="Epoch"/>. <see cref="SecretEnv"/> holds the decrypted
/// secrets the spec names (variable → value), added to this answer only, never to the stored spec.
/// </summary>
public sealed record LeaseView(string TaskId, string RunId, long Epoch, int Attempt, TaskSpec Spec, DateTimeOffset ExpiresAt,
    IReadOnlyDictionary<string, string>? SecretEnv = null);

/// <summary><see cref="StartedAt"/>: when the sandbox started, on the agent's clock (the server bounds it by the lease TTL).</summary>
public sealed record RunningBody(long Epoch, DateTimeOffset? StartedAt = null);

public sealed record HeartbeatBody(long Epoch, double? WaitSeconds);

/// <param name="Ended">The task has already ended (its result crossed this heartbeat): stop renewing, nothing is wrong.</param>
public sealed record HeartbeatView(StopReason Stop, DateTimeOffset? LeaseExpiresAt, bool Ended = false);

public sealed record LogChunkBody(long Epoch, long Offset, IReadOnlyList<AgentLogLine> Lines);

public sealed record LogChunkView(long NextOffset);

/// <summary>
/// The end of an attempt. A task that ended before the agent reported it running carries <see cref="StartedAt"/> (the
/// server records it as RUNNING first, in the same transaction) and its lines not yet shipped, numbered from
/// <see cref="LogOffset"/> as in a log chunk. <see cref="Next"/> asks, for the slot this task frees, for a task waiting
/// now (no long-poll), granted in the same answer and the same transaction; so a stream of short tasks costs one call each.
/// </summary>
public sealed record CompleteBody(long Epoch, int? ExitCode, bool OomKilled, string? Error,
    DateTimeOffset? StartedAt = null, long LogOffset = 0, IReadOnlyList<AgentLogLine>? Lines = null, LeaseBody? Next = null)
{
    /// <summary>When the command wrote its first line (null: it wrote none), on the agent's clock.</summary>
    public DateTimeOffset? FirstOutputAt { get; init; }
    /// <summary>When the sandbox exited, on the agent's clock (null: it never started).</summary>
    public DateTimeOffset? ExitedAt { get; init; }
}

/// <summary>The answer to a result: the next lease when the result asked for one and a task was waiting.</summary>
public sealed record CompleteView(LeaseView? Next);
