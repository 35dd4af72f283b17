namespace Hearth.Core.Services;

/// <summary>
/// A project as <c>GET /api/v1/projects/{name}</c> shows it: desired state and each replica as it is.
/// </summary>
/// <param name="Removing"><c>down</c> was asked and its replicas are stopping.</param>
public sealed record ProjectView(
    string Name,
    ProjectSpec Spec,
    IReadOnlyList<ReplicaView> Replicas,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool Removing
);

public sealed record ProjectListView(IReadOnlyList<ProjectSummaryView> Projects);

/// <summary>One line of <c>hearth ps</c>'s project list.</summary>
public sealed record ProjectSummaryView(
    string Name,
    int Services,
    int Replicas,
    int Running,
    bool Removing,
    DateTimeOffset UpdatedAt
);

/// <summary>One replica: which task runs it where, its state and health, and why it waits when it does.</summary>
public sealed record ReplicaView(
    string Service,
    int Replica,
    string Name,
    ReplicaPhase State,
    ReplicaHealth Health,
    string? Agent,
    string? RunId,
    string? TaskId,
    int Generation,
    int Restarts,
    int? ExitCode,
    string? DefinitionHash,
    bool Current,
    DateTimeOffset? StartedAt,
    string? Waiting
)
{
    /// <summary>Its address on each project network, as its agent reported it.</summary>
    public IReadOnlyDictionary<string, string>? Addresses { get; init; }

    /// <summary>Ports published on its agent's host, as <c>HOST_IP:HOST_PORT-&gt;CONTAINER_PORT/PROTO</c>.</summary>
    public IReadOnlyList<string> Ports { get; init; } = [];

    /// <summary>The last health check's output (cut to 4 KiB).</summary>
    public string? HealthOutput { get; init; }

    /// <summary>
    /// Why its task failed without an exit code (its sandbox never started: an image that cannot be pulled, a refused
    /// setting), or null.
    /// </summary>
    public string? Error { get; init; }

    /// <summary>
    /// Why the roll to the service's current definition was rolled back here (its new replica failed), or null.
    /// </summary>
    public string? RolledBack { get; init; }

    /// <summary>
    /// A roll's new replica started beside this one, while it still serves: which, where, and how it is.
    /// </summary>
    public ReplicaSuccessorView? Next { get; init; }
}

/// <summary>
/// A rolling update's new task for a replica, started beside the one that still serves (new before old): it takes the
/// replica's place once it runs healthy (or runs, without a health check), or is rolled back.
/// </summary>
public sealed record ReplicaSuccessorView(
    int Generation,
    string Agent,
    string RunId,
    string TaskId,
    ReplicaPhase State,
    ReplicaHealth Health,
    DateTimeOffset? StartedAt
)
{
    /// <summary>The last health check's output of the new task (cut to 4 KiB).</summary>
    public string? HealthOutput { get; init; }
}

/// <summary><c>POST /api/v1/projects/{name}/services/{service}/scale</c>.</summary>
public sealed record ScaleBody(int Replicas);

/// <summary>A state change of a replica, as <c>hearth events</c> and the SSE stream carry it.</summary>
public sealed record ServiceEventView(
    long Seq,
    string Project,
    string Service,
    int Replica,
    ReplicaEventKind Kind,
    string Message,
    DateTimeOffset At
);

public sealed record ServiceEventListView(IReadOnlyList<ServiceEventView> Events);
