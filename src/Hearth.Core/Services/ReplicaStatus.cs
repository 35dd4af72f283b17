using System.Text.Json.Serialization;

namespace Hearth.Core.Services;

/// <summary>Where a replica's current incarnation (its latest task) is.</summary>
[JsonConverter(typeof(LowerSnakeEnumConverter<ReplicaPhase>))]
public enum ReplicaPhase
{
    /// <summary>Never started: no task yet.</summary>
    Absent,

    /// <summary>Its task waits for, or was just leased by, its agent.</summary>
    Pending,
    Running,

    /// <summary>Its process ended on its own (see the exit code).</summary>
    Exited,

    /// <summary>Its agent stopped renewing the lease: the task was failed and the replica goes elsewhere.</summary>
    Lost,

    /// <summary>Hearth stopped it (scale, restart, a roll, down).</summary>
    Stopped,
}

/// <summary>What the reconciler knows of one replica: its record joined with its current task's state.</summary>
public sealed record ReplicaStatus
{
    public required string Service { get; init; }

    /// <summary>1-based and stable: replica 2 of <c>api</c> is <c>api-2</c> wherever it runs.</summary>
    public required int Replica { get; init; }

    /// <summary>How many tasks this replica has had (0 before its first start).</summary>
    public int Generation { get; init; }

    /// <summary>The definition its current task runs.</summary>
    public string? DefinitionHash { get; init; }

    public ReplicaPhase Phase { get; init; }

    public ReplicaHealth Health { get; init; }

    /// <summary>The name of the agent its task is pinned to.</summary>
    public string? Agent { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>
    /// Restarts so far (exits, unhealthy, asked for), counted for <c>on-failure:N</c> and the back-off.
    /// </summary>
    public int Restarts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>A stop was asked of its live task, which has not ended yet.</summary>
    public bool Stopping { get; init; }

    /// <summary>Once its task has ended, start it again at once (a restart, a roll, a move).</summary>
    public bool RestartRequested { get; init; }

    /// <summary>The last health check's output, as its agent reported it.</summary>
    public string? HealthOutput { get; init; }

    /// <summary>
    /// A replica of the new definition started beside this one during a roll (new before old), until it is ready (it
    /// takes this one's place) or fails (it goes, and this one keeps serving).
    /// </summary>
    public ReplicaStatus? Successor { get; init; }

    /// <summary>
    /// A definition whose new replica failed here: the roll to it is halted until the definition changes.
    /// </summary>
    public string? FailedHash { get; init; }

    public bool Live => Phase is ReplicaPhase.Pending or ReplicaPhase.Running;

    public string Name => $"{Service}-{Replica}";
}
