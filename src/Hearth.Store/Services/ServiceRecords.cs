using Hearth.Core.Services;

namespace Hearth.Store.Services;

/// <summary>A stored project: its desired state (<see cref="Spec"/>) and whether <c>down</c> was asked.</summary>
/// <param name="NamesVersion">Grows whenever a replica's addresses change or a replica goes: agents' DNS polls
/// it.</param>
public sealed record ProjectRecord(
    string Name,
    ProjectSpec Spec,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool Removing,
    long NamesVersion = 0
)
{
    /// <summary><c>down -v</c>: the project's named volumes go with it.</summary>
    public bool RemoveVolumes { get; init; }
}

/// <summary>
/// The reconciler's record of one replica: which task is its current incarnation and where, what it runs, how often it
/// restarted, and what its agent last reported (health, addresses). The task's own state lives with the task.
/// </summary>
public sealed record ReplicaRecord(string Project, string Service, int Replica)
{
    public int Generation { get; init; }
    public string? RunId { get; init; }
    public string? TaskId { get; init; }
    public string? Agent { get; init; }
    public string? DefinitionHash { get; init; }
    public int Restarts { get; init; }
    public bool Stopping { get; init; }
    public bool RestartRequested { get; init; }
    public ReplicaHealth Health { get; init; }
    public int FailingStreak { get; init; }
    public string? HealthOutput { get; init; }
    public IReadOnlyDictionary<string, string>? Addresses { get; init; }

    /// <summary>The phase the reconciler last saw, so it announces each change once.</summary>
    public ReplicaPhase LastPhase { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// A roll's new replica, started beside this one's current task (new before old), until it takes its place.
    /// </summary>
    public SuccessorRecord? Next { get; init; }

    /// <summary>
    /// A definition whose new replica failed here; the roll to it is halted until the definition changes.
    /// </summary>
    public string? FailedHash { get; init; }

    /// <summary>Why that replica failed, as the rollback's event said.</summary>
    public string? FailedReason { get; init; }
}

/// <summary>
/// The task of a roll's new replica while the old one still serves: what the agent reports of it lands here.
/// </summary>
public sealed record SuccessorRecord(int Generation, string RunId, string TaskId, string Agent, string DefinitionHash)
{
    public ReplicaHealth Health { get; init; }
    public int FailingStreak { get; init; }
    public string? HealthOutput { get; init; }
    public IReadOnlyDictionary<string, string>? Addresses { get; init; }
    public ReplicaPhase LastPhase { get; init; }
}

/// <summary>A state change to record; the store numbers it.</summary>
public sealed record NewServiceEvent(
    string Project,
    string Service,
    int Replica,
    ReplicaEventKind Kind,
    string Message,
    DateTimeOffset At
);
