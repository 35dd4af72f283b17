using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Server.Creation;
using Hearth.Server.Placement;
using Hearth.Store;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>
/// Applies the reconciler's plan for one project: reads the snapshot (project, replica records, their tasks, the
/// fleet), asks <see cref="ServiceReconciler"/> what to do, and does it through the one creation path
/// (<see cref="RunService"/>: a deployment run of one <c>ServiceReplica</c> task per start, under an idempotency key of
/// the project's incarnation, service, replica and generation, so two servers applying the same plan make one run)
/// and its stop. Each change of a replica's state is recorded as an event.
/// </summary>
public sealed class ServiceDeployer(
    IServiceStore services,
    IRunStore store,
    RunService runs,
    AgentFleet fleet,
    TimeProvider time,
    ILogger<ServiceDeployer> logger
)
{
    public const string StoppedBy = "hearth services";

    // Why each replica waits, as the last plan said (per server: shown by ps on the leader that planned it).
    private readonly ConcurrentDictionary<(string Project, string Service, int Replica), string> _waiting = new();

    // The runs of replicas' tasks, as the last passes saw or made them: a change of one of them wakes the reconciler.
    private readonly ConcurrentDictionary<string, byte> _replicaRuns = new(StringComparer.Ordinal);

    public string? Waiting(string project, string service, int replica) =>
        _waiting.GetValueOrDefault((project, service, replica));

    /// <summary>
    /// Whether <paramref name="runId"/> is a replica's run this server knows of (what another leader made, it may not).
    /// </summary>
    public bool IsReplicaRun(string runId) => _replicaRuns.ContainsKey(runId);

    /// <summary>One pass over every project.</summary>
    public async Task ReconcileAllAsync(CancellationToken ct)
    {
        var before = _replicaRuns.Keys.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var failed = false;
        foreach (var project in await services.ListProjectsAsync(ct))
        {
            try
            {
                await ReconcileAsync(project.Name, ct, seen);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed = true;
                logger.LogError(e, "project {Project}: reconcile failed; retrying", project.Name);
            }
        }
        // Runs no replica pointed at in this pass (replaced, or their project gone) need not wake anything any more.
        if (failed)
            return;
        foreach (var run in before.Where(r => !seen.Contains(r)))
            _replicaRuns.TryRemove(run, out _);
    }

    public async Task<ServicePlan?> ReconcileAsync(string name, CancellationToken ct, ISet<string>? seen = null)
    {
        if (await services.GetProjectAsync(name, ct) is not { } project)
            return null;
        var now = time.GetUtcNow();
        var records = await services.ListReplicasAsync(name, ct);
        var tasks = new Dictionary<(string, int), RunTask?>();
        var nextTasks = new Dictionary<(string, int), RunTask?>();
        foreach (var record in records)
        {
            tasks[(record.Service, record.Replica)] = record.TaskId is { } id ? await store.GetTaskAsync(id, ct) : null;
            nextTasks[(record.Service, record.Replica)] = record.Next is { } next
                ? await store.GetTaskAsync(next.TaskId, ct)
                : null;
            foreach (var run in new[] { record.RunId, record.Next?.RunId })
            {
                if (run is null)
                    continue;
                _replicaRuns.TryAdd(run, 0);
                seen?.Add(run);
            }
        }

        var current = new Dictionary<(string, int), ReplicaRecord>();
        foreach (var record in records)
        {
            var key = (record.Service, record.Replica);
            var announced = await AnnounceAsync(project, record, tasks[key], now, ct);
            current[key] = await AnnounceSuccessorAsync(project, announced, nextTasks[key], now, ct);
        }

        var statuses = current
            .Values.Select(r =>
                ReplicaTasks.Status(r, tasks[(r.Service, r.Replica)], nextTasks[(r.Service, r.Replica)])
            )
            .ToList();
        var plan = ServiceReconciler.Plan(
            new ServiceSnapshot(project.Spec, project.Removing, statuses, await fleet.SnapshotAsync(ct), now)
        );

        foreach (var key in _waiting.Keys.Where(k => k.Project == name).ToList())
            _waiting.TryRemove(key, out _);
        foreach (var action in plan.Actions)
        {
            var key = (action.Service, action.Replica);
            var record = current.GetValueOrDefault(key) ?? new ReplicaRecord(name, action.Service, action.Replica);
            // One replica may take two actions in a pass (a roll's new replica goes, and the old one stops with its
            // project): each starts from what the one before saved.
            current[key] = action switch
            {
                StartReplica start => await StartAsync(project, start, record, now, ct),
                StopReplica stop => await StopAsync(project, stop, record, now, ct),
                PromoteReplica promote => await PromoteAsync(project, promote, record, now, ct),
                RollBackReplica back => await RollBackAsync(
                    project,
                    back,
                    record,
                    nextTasks.GetValueOrDefault(key),
                    now,
                    ct
                ),
                _ => record,
            };
            switch (action)
            {
                case ForgetReplica forget:
                    await services.DeleteReplicaAsync(name, forget.Service, forget.Replica, ct);
                    await services.BumpNamesAsync(name, ct);
                    await EventAsync(name, forget, ReplicaEventKind.Removed, forget.Reason, now, ct);
                    break;
                case WaitReplica wait:
                    _waiting[(name, wait.Service, wait.Replica)] = wait.Reason;
                    break;
            }
        }
        if (plan.ProjectGone)
        {
            if (project.RemoveVolumes && ProjectVolumes.Of(project.Spec) is { Count: > 0 } volumes)
                await services.AppendEventAsync(
                    new NewServiceEvent(name, "", 0, ReplicaEventKind.VolumesRemoving, string.Join(",", volumes), now),
                    ct
                );
            await services.DeleteProjectAsync(name, ct);
            logger.LogInformation("project {Project}: down", name);
        }
        return plan;
    }

    /// <summary>
    /// Records a change of the replica's phase once, as an event; clears the stop flag of an ended task.
    /// </summary>
    private async Task<ReplicaRecord> AnnounceAsync(
        ProjectRecord project,
        ReplicaRecord record,
        RunTask? task,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var phase = ReplicaTasks.Phase(record, task);
        if (phase == record.LastPhase)
            return record;
        var updated = record with
        {
            LastPhase = phase,
            Stopping = record.Stopping && phase is ReplicaPhase.Pending or ReplicaPhase.Running,
            Addresses = phase is ReplicaPhase.Pending or ReplicaPhase.Running ? record.Addresses : null,
            UpdatedAt = now,
        };
        await services.SaveReplicaAsync(updated, ct);
        var message = phase switch
        {
            ReplicaPhase.Running => $"started on {record.Agent}",
            ReplicaPhase.Exited => task?.ExitCode is { } code ? $"exited with code {code}" : $"ended: {task?.Reason}",
            ReplicaPhase.Lost => $"lost: {task?.Reason}",
            ReplicaPhase.Stopped => "stopped",
            _ => null,
        };
        if (message is not null)
        {
            var kind = phase == ReplicaPhase.Running ? ReplicaEventKind.Started : ReplicaEventKind.Exited;
            await EventAsync(project.Name, record.Service, record.Replica, kind, message, now, ct);
        }
        if (phase is not (ReplicaPhase.Pending or ReplicaPhase.Running))
            await services.BumpNamesAsync(project.Name, ct);
        return updated;
    }

    private async Task<ReplicaRecord> StartAsync(
        ProjectRecord project,
        StartReplica start,
        ReplicaRecord record,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var definition = project.Spec.Services.Single(s => s.Name == start.Service);
        var spec = ReplicaTasks.Spec(project.Name, definition, start.Replica, start.Agent, start.DefinitionHash);
        // The key names this start of this replica in this incarnation of the project: a second server (or a retry
        // after a crash between creating the run and saving the record) finds the run made before instead of making
        // another.
        var key =
            $"services/{project.Name}/{project.CreatedAt.ToUnixTimeMilliseconds()}/{start.Service}/{start.Replica}/{start.Generation}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(HearthJson.Serialize(spec))));
        RunCreation? created = null;
        // A replica removed by a scale-down and added again starts over at generation 1: the key's earlier run has
        // ended, so the start takes the next key in a chain that every server derives alike (key, then key/after/RUN).
        for (var attempt = 0; created is null; attempt++)
        {
            var draft = new RunDraft(RunKinds.Deployment, spec, project.CreatedBy, id =>
                [new NewTask(TaskIds.ForCommand(id), start.Name, spec, 1) { Kind = TaskKind.ServiceReplica }]
            )
            {
                Key = new IdempotencyKey(key, hash),
            };
            string earlier;
            try
            {
                var made = await runs.CreateAsync(draft, ct);
                if (!made.Replayed || made.Run.EndedAt is null)
                {
                    created = made;
                    break;
                }
                earlier = made.Run.Id;
            }
            catch (IdempotencyKeyReusedException e)
            {
                if ((await store.GetRunAsync(e.RunId, ct))?.EndedAt is null || attempt >= 16)
                {
                    // Another server placed this generation elsewhere first: its run is the replica's.
                    logger.LogWarning(
                        "project {Project}: {Replica} generation {Generation} was started by another server ({Run})",
                        project.Name,
                        start.Name,
                        start.Generation,
                        e.RunId
                    );
                    return record;
                }
                earlier = e.RunId;
            }
            key = $"{key}/after/{earlier}";
        }
        var task = created.Run.Tasks.Single();
        _replicaRuns.TryAdd(created.Run.Id, 0);
        var health = definition.HealthCheck is null ? ReplicaHealth.None : ReplicaHealth.Starting;
        if (start.Beside)
        {
            var beside = record with
            {
                Next = new SuccessorRecord(start.Generation, created.Run.Id, task.Id, start.Agent, start.DefinitionHash)
                {
                    Health = health,
                    LastPhase = ReplicaPhase.Pending,
                },
                UpdatedAt = now,
            };
            await services.SaveReplicaAsync(beside, ct);
            await EventAsync(
                project.Name,
                start,
                ReplicaEventKind.Created,
                $"{start.Reason}: generation {start.Generation} beside generation {record.Generation} (run {record.RunId}); "
                    + $"placed on {start.Agent} (run {created.Run.Id})",
                now,
                ct
            );
            return beside;
        }
        var started = record with
        {
            Generation = start.Generation,
            RunId = created.Run.Id,
            TaskId = task.Id,
            Agent = start.Agent,
            DefinitionHash = start.DefinitionHash,
            Restarts = record.Restarts + (start.Restart ? 1 : 0),
            Stopping = false,
            RestartRequested = false,
            Health = health,
            FailingStreak = 0,
            HealthOutput = null,
            Addresses = null,
            LastPhase = ReplicaPhase.Pending,
            UpdatedAt = now,
        };
        await services.SaveReplicaAsync(started, ct);
        var kind = start.Moved ? ReplicaEventKind.Moved : ReplicaEventKind.Created;
        await EventAsync(
            project.Name,
            start,
            kind,
            $"{start.Reason}; placed on {start.Agent} (run {created.Run.Id})",
            now,
            ct
        );
        return started;
    }

    private async Task<ReplicaRecord> StopAsync(
        ProjectRecord project,
        StopReplica stop,
        ReplicaRecord record,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var stopping = record with
        {
            Stopping = true,
            RestartRequested = stop.ThenRestart,
            Restarts = record.Restarts + (stop.CountsAsRestart ? 1 : 0),
            UpdatedAt = now,
        };
        await services.SaveReplicaAsync(stopping, ct);
        if (record.RunId is { } runId)
            await runs.StopAsync(runId, StopReason.Killed, ct, StoppedBy);
        await services.BumpNamesAsync(project.Name, ct);
        await EventAsync(project.Name, stop, ReplicaEventKind.Stopping, stop.Reason, now, ct);
        return stopping;
    }

    /// <summary>
    /// A roll's new replica is ready: it becomes the replica (its names with it), and the old task is stopped.
    /// </summary>
    private async Task<ReplicaRecord> PromoteAsync(
        ProjectRecord project,
        PromoteReplica promote,
        ReplicaRecord record,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var next = record.Next!;
        var promoted = record with
        {
            Generation = next.Generation,
            RunId = next.RunId,
            TaskId = next.TaskId,
            Agent = next.Agent,
            DefinitionHash = next.DefinitionHash,
            Health = next.Health,
            FailingStreak = next.FailingStreak,
            HealthOutput = next.HealthOutput,
            Addresses = next.Addresses,
            LastPhase = next.LastPhase,
            Stopping = false,
            RestartRequested = false,
            Next = null,
            FailedHash = null,
            FailedReason = null,
            UpdatedAt = now,
        };
        await services.SaveReplicaAsync(promoted, ct);
        if (record.RunId is { } old)
            await runs.StopAsync(old, StopReason.Killed, ct, StoppedBy);
        await services.BumpNamesAsync(project.Name, ct);
        await EventAsync(
            project.Name,
            promote,
            ReplicaEventKind.Stopping,
            $"{promote.Reason} (generation {next.Generation}, run {next.RunId}): it takes the replica's place; "
                + $"stopping generation {record.Generation} (run {record.RunId})",
            now,
            ct
        );
        return promoted;
    }

    /// <summary>
    /// A roll's new replica failed (or is no longer wanted): it goes, and the old task keeps serving.
    /// </summary>
    private async Task<ReplicaRecord> RollBackAsync(
        ProjectRecord project,
        RollBackReplica back,
        ReplicaRecord record,
        RunTask? nextTask,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var next = record.Next!;
        var rolledBack = record with
        {
            // The generation counts tasks: the next start must not reuse the failed one's number (its idempotency key).
            Generation = Math.Max(record.Generation, next.Generation),
            Next = null,
            FailedHash = back.Failed ? next.DefinitionHash : record.FailedHash,
            FailedReason = back.Failed ? back.Reason : record.FailedReason,
            UpdatedAt = now,
        };
        await services.SaveReplicaAsync(rolledBack, ct);
        if (nextTask is { State: TaskState.Pending or TaskState.Leased or TaskState.Running or TaskState.Waiting })
            await runs.StopAsync(next.RunId, StopReason.Killed, ct, StoppedBy);
        await EventAsync(
            project.Name,
            back,
            ReplicaEventKind.RolledBack,
            $"{back.Reason} (generation {next.Generation}, run {next.RunId})",
            now,
            ct
        );
        return rolledBack;
    }

    /// <summary>Records a change of a roll's new replica's phase once, as an event.</summary>
    private async Task<ReplicaRecord> AnnounceSuccessorAsync(
        ProjectRecord project,
        ReplicaRecord record,
        RunTask? task,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        if (record.Next is not { } next)
            return record;
        var phase = task is null ? ReplicaPhase.Stopped : ReplicaTasks.Phase(record, task);
        if (phase == next.LastPhase)
            return record;
        var updated = record with { Next = next with { LastPhase = phase }, UpdatedAt = now };
        await services.SaveReplicaAsync(updated, ct);
        if (phase == ReplicaPhase.Running)
        {
            await EventAsync(
                project.Name,
                record.Service,
                record.Replica,
                ReplicaEventKind.Started,
                $"generation {next.Generation} (the new definition) started on {next.Agent}, beside generation {record.Generation}",
                now,
                ct
            );
        }
        return updated;
    }

    private Task EventAsync(
        string project,
        ServiceAction action,
        ReplicaEventKind kind,
        string message,
        DateTimeOffset now,
        CancellationToken ct
    ) => EventAsync(project, action.Service, action.Replica, kind, message, now, ct);

    private async Task EventAsync(
        string project,
        string service,
        int replica,
        ReplicaEventKind kind,
        string message,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await services.AppendEventAsync(new NewServiceEvent(project, service, replica, kind, message, now), ct);
        logger.LogInformation(
            "project {Project}: {Service}-{Replica} {Kind}: {Message}",
            project,
            service,
            replica,
            kind,
            message
        );
    }
}
