using Hearth.Core.Services;

namespace Hearth.Store.Services;

/// <summary>Compose projects, their replicas and their events, in the run store's database.</summary>
public interface IServiceStore : IMigratingStore
{
    /// <summary>
    /// Stores a project's desired state: a new project, or a new spec for one (which also ends a pending <c>down</c>).
    /// The creator and creation time of an existing project are kept.
    /// </summary>
    Task<ProjectRecord> PutProjectAsync(ProjectSpec spec, string by, DateTimeOffset now, CancellationToken ct);

    Task<ProjectRecord?> GetProjectAsync(string name, CancellationToken ct);

    /// <summary>Every project, by name.</summary>
    Task<IReadOnlyList<ProjectRecord>> ListProjectsAsync(CancellationToken ct);

    /// <summary>
    /// Rewrites a project's spec in place when it is still the one stored at <paramref name="updatedAt"/> (its seals
    /// re-encrypted after a key rotation: nothing a replica runs changes, so its updated time stays); false otherwise.
    /// </summary>
    Task<bool> ReplaceSpecAsync(string name, DateTimeOffset updatedAt, ProjectSpec spec, CancellationToken ct);

    /// <summary>Marks a project for removal (<c>down</c>); false when there is none.</summary>
    Task<bool> MarkRemovingAsync(string name, bool removeVolumes, DateTimeOffset now, CancellationToken ct);

    /// <summary>Deletes a project with its replicas (its events stay); false when there was none.</summary>
    Task<bool> DeleteProjectAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<ReplicaRecord>> ListReplicasAsync(string project, CancellationToken ct);

    /// <summary>Inserts or replaces a replica's record.</summary>
    Task SaveReplicaAsync(ReplicaRecord replica, CancellationToken ct);

    Task DeleteReplicaAsync(string project, string service, int replica, CancellationToken ct);

    Task<ReplicaRecord?> FindReplicaByTaskAsync(string taskId, CancellationToken ct);

    /// <summary>
    /// Records what an agent measured of the replica whose current task this is; null when no replica's is.
    /// </summary>
    Task<ReplicaRecord?> RecordHealthAsync(
        string taskId,
        ReplicaHealth health,
        int failingStreak,
        string? output,
        DateTimeOffset now,
        CancellationToken ct
    );

    /// <summary>
    /// Records a replica's addresses and bumps its project's names version; null when no replica's task is this.
    /// </summary>
    Task<ReplicaRecord?> RecordAddressesAsync(
        string taskId,
        IReadOnlyDictionary<string, string> addresses,
        DateTimeOffset now,
        CancellationToken ct
    );

    /// <summary>Bumps the project's names version (a replica stopped or went: its names go).</summary>
    Task BumpNamesAsync(string project, CancellationToken ct);

    Task AppendEventAsync(NewServiceEvent serviceEvent, CancellationToken ct);

    /// <summary>Events after <paramref name="afterSeq"/>, oldest first; of one project, or of all when null.</summary>
    Task<IReadOnlyList<ServiceEventView>> ListEventsAsync(
        string? project,
        long afterSeq,
        int limit,
        CancellationToken ct
    );
}
