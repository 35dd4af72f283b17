using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Core.Services;

namespace Hearth.Core.Api;

/// <param name="Drivers">What each driver the agent runs can do (null from agents older than the field).</param>
public sealed record RegisterAgentBody(
    string Name,
    Dictionary<string, string> Labels,
    int Capacity,
    string Version,
    IReadOnlyList<AgentDriverView>? Drivers = null
);

/// <summary>Labels an agent derives from its drivers' capabilities, which a task's requirements can name.</summary>
public static class DriverLabels
{
    /// <summary>
    /// "true" on an agent with a driver that runs images: what a run with an image but no driver requires.
    /// </summary>
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
/// <param name="Default">The driver a task that names none gets (a bare command; an image goes to one that runs
/// images).</param>
public sealed record AgentDriverView(
    string Name,
    string Filesystem,
    IReadOnlyList<string> NetworkModes,
    bool Ports,
    bool Signals,
    bool Exec,
    bool Recover,
    IReadOnlyList<string> Limits,
    bool Default = false
)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool RunsImages => Filesystem is "image" or "vm";
}

/// <summary>
/// The agent protocol's version: an agent sends it on every call (<see cref="Header"/>); a server refuses a version it
/// does not speak with 400 <see cref="UnsupportedCode"/>, and the agent stops with the server's message.
/// </summary>
public static class AgentProtocolVersion
{
    public const string Header = "Hearth-Agent-Protocol";
    public const int Current = 6;
    public const string UnsupportedCode = "AGENT_PROTOCOL_UNSUPPORTED";
}

/// <summary>
/// The details of a refused protocol version: what the agent sent (null: nothing) and what the server speaks.
/// </summary>
public sealed record ProtocolUnsupportedDetails(string? Sent, IReadOnlyList<int> Supported);

public sealed record RegisterAgentView(
    string AgentId,
    double LeaseTtlSeconds,
    double HeartbeatSeconds,
    double LongPollSeconds
);

/// <summary>
/// Names an agent in a call that is about the agent, not one of its tasks (a drain, a result's next task).
/// </summary>
public sealed record AgentRef(string AgentId);

/// <summary>
/// A long-poll for work: up to <see cref="Slots"/> assignments (the agent's free slots, at most its capacity) in one
/// answer, waiting up to <see cref="WaitSeconds"/> for the first.
/// </summary>
public sealed record LeaseRequest(string AgentId, int Slots, double? WaitSeconds);

/// <summary>
/// The answer to a long-poll: the tasks granted (none when the poll ended empty) and, beside them, what the server
/// expects this agent to be asked for soon (<see cref="Prewarm"/>; null: nothing). A hint alone ends a poll early.
/// </summary>
public sealed record LeaseAnswer(IReadOnlyList<Assignment> Assignments)
{
    public IReadOnlyList<PrewarmHint>? Prewarm { get; init; }
}

/// <summary>
/// A task is expected soon (a GitLab job announced by its Job Hook): the agent readies a sandbox for it ahead of its
/// lease, within its own limits (a microVM booted into its warm pool), and takes it when the task comes. Only a hint:
/// nothing runs because of it, and an agent that cannot or will not warm one ignores it.
/// </summary>
/// <param name="Driver">The driver the task will ask for (<c>microvm</c>).</param>
/// <param name="Reason">Why, for the agent's log (<c>gitlab job 42</c>).</param>
public sealed record PrewarmHint(string Driver, string Image, int Cpus, long MemoryBytes, bool Network, string Reason);

/// <summary>
/// A task handed to an agent (agent protocol 2): exactly what the agent needs to run it, mapped in one place from the
/// stored task (<c>Hearth.Server.Agents.Assignments</c>), so what the store keeps can change without changing agents.
/// Every later call about the task carries <see cref="Epoch"/>.
/// </summary>
/// <param name="Env">The task's own variables (no secrets).</param>
public sealed record Assignment(
    string TaskId,
    string RunId,
    TaskKind Kind,
    long Epoch,
    int Attempt,
    DateTimeOffset LeaseExpiresAt,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Env,
    SandboxRequest Sandbox
)
{
    /// <summary>How long the command may run once started (the server enforces it; the agent reports sooner).</summary>
    public double? TimeoutSeconds { get; init; }

    /// <summary>
    /// Secret values by variable, for the command's environment only (decrypted for this answer, never stored).
    /// </summary>
    public IReadOnlyDictionary<string, string> SecretEnv { get; init; } = new Dictionary<string, string>();

    /// <summary>A repository to check out into the workspace before the command runs.</summary>
    public GitAssignment? Git { get; init; }

    /// <summary>The fencing tokens of the locks the task holds (HEARTH_LOCK_TOKEN_NAME in its environment).</summary>
    public IReadOnlyList<LockTokenView> Locks { get; init; } = [];

    /// <summary>Every value the agent must mask in the task's output (its secrets, its git credentials).</summary>
    public IReadOnlyList<string> Mask { get; init; } = [];

    /// <summary>
    /// The W3C traceparent of the request that created the task (tracing on): the agent's spans join that trace.
    /// </summary>
    public string? TraceParent { get; init; }

    /// <summary>A service replica's own part: networks, mounts, files, health check (null for other kinds).</summary>
    public ServiceReplicaSpec? Service { get; init; }

    /// <summary>
    /// A GitLab job's artifacts, dependencies and cache, moved by the agent around its command (null otherwise).
    /// </summary>
    public CiJobFiles? CiFiles { get; init; }

    /// <summary>An image to build and push, for the buildah driver (null otherwise).</summary>
    public Hearth.Core.Builds.ImageBuildSpec? Build { get; init; }

    /// <summary>
    /// The contents of a replica's secret files (<see cref="ServiceFile.SecretName"/> set) by their target path,
    /// decrypted for this answer only, never stored; their values are in <see cref="Mask"/> too.
    /// </summary>
    public IReadOnlyDictionary<string, string> SecretFiles { get; init; } = new Dictionary<string, string>();
}

/// <summary>The sandbox a task asks for.</summary>
/// <param name="Driver">A driver name, or null for the agent's default (an image: its default that runs
/// images).</param>
/// <param name="Pull">When an image's tag is resolved at its registry: missing (null), always or never.</param>
public sealed record SandboxRequest(
    string? Driver,
    string? Image,
    string? Pull,
    bool Network,
    IReadOnlyList<PublishedPort> Ports,
    double? Cpus,
    long? MemoryBytes,
    int? Pids
);

/// <param name="Credentials">The credentials secret's value (a token or user:token), for the checkout phase
/// only.</param>
public sealed record GitAssignment(string Repository, string? Ref, string? Path, string? Credentials);

public sealed record LockTokenView(string Name, long Token);

/// <summary>
/// <see cref="StartedAt"/>: when the sandbox started, on the agent's clock (the server bounds it by the lease TTL).
/// </summary>
public sealed record RunningBody(long Epoch, DateTimeOffset? StartedAt = null)
{
    /// <summary>A service replica's IPv4 address on each network it joined, by project network name.</summary>
    public IReadOnlyDictionary<string, string>? Addresses { get; init; }
}

public sealed record HeartbeatBody(long Epoch, double? WaitSeconds);

/// <param name="Ended">The task has already ended (its result crossed this heartbeat): stop renewing, nothing is
/// wrong.</param>
public sealed record HeartbeatView(StopReason Stop, DateTimeOffset? LeaseExpiresAt, bool Ended = false);

public sealed record LogChunkBody(long Epoch, long Offset, IReadOnlyList<AgentLogLine> Lines);

public sealed record LogChunkView(long NextOffset);

/// <summary>
/// The end of an attempt. A task that ended before the agent reported it running carries <see cref="StartedAt"/> (the
/// server records it as RUNNING first, in the same transaction) and its lines not yet shipped, numbered from
/// <see cref="LogOffset"/> as in a log chunk. <see cref="Next"/> asks, for the slot this task frees, for a task waiting
/// now (no long-poll), granted in the same answer and the same transaction; so a stream of short tasks costs one call
/// each.
/// </summary>
public sealed record CompleteBody(
    long Epoch,
    int? ExitCode,
    bool OomKilled,
    string? Error,
    DateTimeOffset? StartedAt = null,
    long LogOffset = 0,
    IReadOnlyList<AgentLogLine>? Lines = null,
    AgentRef? Next = null
)
{
    /// <summary>When the command wrote its first line (null: it wrote none), on the agent's clock.</summary>
    public DateTimeOffset? FirstOutputAt { get; init; }

    /// <summary>When the sandbox exited, on the agent's clock (null: it never started).</summary>
    public DateTimeOffset? ExitedAt { get; init; }
}

/// <summary>
/// The answer to a result: the slot's next assignment when the result asked for one and a task was waiting.
/// </summary>
public sealed record CompleteView(Assignment? Next);
