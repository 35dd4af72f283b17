using System.Text.Json.Serialization;

namespace Hearth.Core.Services;

/// <summary>What the reconciler decided for one replica.</summary>
public abstract record ServiceAction(string Service, int Replica, string Reason)
{
    public string Name => $"{Service}-{Replica}";
}

/// <summary>
/// Start the replica's next task (generation <paramref name="Generation"/>) on <paramref name="Agent"/>.
/// </summary>
/// <param name="Restart">It counts as a restart (an exit, unhealthy, asked for): the replica's restarts grow by
/// one.</param>
/// <param name="Moved">Its agent was lost: it goes to another one.</param>
public sealed record StartReplica(
    string Service,
    int Replica,
    int Generation,
    string Agent,
    string DefinitionHash,
    bool Restart,
    bool Moved,
    string Reason
) : ServiceAction(Service, Replica, Reason)
{
    /// <summary>A roll's new replica, started beside the live old one, which keeps serving until it is ready.</summary>
    public bool Beside { get; init; }
}

/// <summary>The roll's new replica is ready: stop the old one; the new one takes its place.</summary>
public sealed record PromoteReplica(string Service, int Replica, string Reason)
    : ServiceAction(Service, Replica, Reason);

/// <summary>
/// The roll's new replica goes (stopped if still live) and the old one keeps serving; <paramref name="Failed"/>: it
/// failed, so the roll to its definition halts until the definition changes again.
/// </summary>
public sealed record RollBackReplica(string Service, int Replica, bool Failed, string Reason)
    : ServiceAction(Service, Replica, Reason);

/// <summary>Stop the replica's live task; <paramref name="ThenRestart"/>: start it again once it has ended.</summary>
/// <param name="CountsAsRestart">The later start counts as a restart (unhealthy, asked for; not a roll or a
/// move).</param>
public sealed record StopReplica(string Service, int Replica, bool ThenRestart, bool CountsAsRestart, string Reason)
    : ServiceAction(Service, Replica, Reason);

/// <summary>
/// The replica is above the service's scale (or its project is going) and has ended: its record goes.
/// </summary>
public sealed record ForgetReplica(string Service, int Replica, string Reason)
    : ServiceAction(Service, Replica, Reason);

/// <summary>The replica cannot start yet; <see cref="ServiceAction.Reason"/> says why (shown by <c>ps</c>).</summary>
public sealed record WaitReplica(string Service, int Replica, string Reason) : ServiceAction(Service, Replica, Reason);

/// <param name="WakeAt">The earliest moment a back-off ends: the reconciler should look again then.</param>
/// <param name="ProjectGone">The project is being removed and nothing of it is left: its record can go.</param>
public sealed record ServicePlan(IReadOnlyList<ServiceAction> Actions, DateTimeOffset? WakeAt, bool ProjectGone)
{
    public IEnumerable<T> Of<T>()
        where T : ServiceAction => Actions.OfType<T>();
}

/// <summary>What a replica went through, as <c>hearth events</c> shows it.</summary>
[JsonConverter(typeof(LowerSnakeEnumConverter<ReplicaEventKind>))]
public enum ReplicaEventKind
{
    Created,
    Started,
    Healthy,
    Unhealthy,
    Exited,
    Moved,
    Stopping,
    Removed,
    Waiting,

    /// <summary>A roll's new replica failed and was removed; the old replica keeps serving.</summary>
    RolledBack,

    /// <summary>
    /// <c>down -v</c>: the project is gone and its agents are to remove its named volumes (message: their names,
    /// comma-separated).
    /// </summary>
    VolumesRemoving,

    /// <summary>An agent removed one of the project's volumes (service: the volume; message: where).</summary>
    VolumeRemoved,
}
