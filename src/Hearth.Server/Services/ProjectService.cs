using System.Text.RegularExpressions;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Background;
using Hearth.Store;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>
/// What the projects' endpoints do: store desired state, show it beside the actual, scale, restart, down.
/// </summary>
public sealed partial class ProjectService(
    IServiceStore services,
    IRunStore store,
    RunService runs,
    ServiceDeployer deployer,
    DriverPolicy drivers,
    Signals signals,
    ServiceSecretFiles secretFiles,
    TimeProvider time
)
{
    public const int MaxReplicas = 100;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => name.Length <= 63 && NamePattern().IsMatch(name);

    public async Task<IResult> PutAsync(string name, ProjectSpec spec, Caller caller, CancellationToken ct)
    {
        if (Validate(name, spec) is { } error)
            return ApiResults.Invalid(error);
        if (drivers.Check(caller.Role, ReplicaPlacement.Driver) is { } refused)
            return refused;
        var previous = await services.GetProjectAsync(name, ct);
        var (sealedSpec, secretError) = await secretFiles.SealAsync(spec, previous?.Spec, caller, ct);
        if (secretError is not null)
            return secretError;
        await services.PutProjectAsync(sealedSpec!, caller.Name, time.GetUtcNow(), ct);
        signals.Pulse(SignalKeys.Project(name));
        return ApiResults.Json(await ViewAsync(name, ct));
    }

    /// <summary>Why the spec cannot be stored, naming the field; null when it can.</summary>
    public static string? Validate(string name, ProjectSpec spec)
    {
        if (!IsValidName(name))
            return $"project name '{name}': expected lowercase letters, digits, '-' and '_', starting with a letter or digit";
        if (spec.Name != name)
            return $"name: '{spec.Name}' differs from the path's '{name}'";
        if (spec.Services.Count == 0)
            return "services: a project needs at least one service";
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in spec.Services)
        {
            var at = $"services.{service.Name}";
            if (!IsValidName(service.Name))
                return $"services: '{service.Name}' is not a valid service name";
            if (!names.Add(service.Name))
                return $"services: '{service.Name}' appears twice";
            if (string.IsNullOrWhiteSpace(service.Image))
                return $"{at}.image: required";
            if (service.Replicas is < 0 or > MaxReplicas)
                return $"{at}.replicas: must be between 0 and {MaxReplicas}";
            if (
                service.HealthCheck is { } check
                && (check.Test.Count == 0 || check.Interval <= TimeSpan.Zero || check.Retries < 1)
            )
                return $"{at}.healthcheck: needs a test, an interval above 0 and retries of 1 or more";
            if (service.Container?.Problem() is { } problem)
                return $"{at}.{problem}";
        }
        foreach (var service in spec.Services)
        {
            foreach (var dependency in service.DependsOn.Where(d => d.Required && !names.Contains(d.Service)))
                return $"services.{service.Name}.depends_on: '{dependency.Service}' is not a service of the project";
            if (service.NetworkMode is not (null or "none") && service.NetworkOf is null)
                return $"services.{service.Name}.network_mode: '{service.NetworkMode}': expected none or service:NAME";
            foreach (var partner in service.CoPlacedWith.Where(p => !names.Contains(p) || p == service.Name))
                return $"services.{service.Name}: shares with '{partner}', which is not another service of the project";
            if (service.IpcOf is { } ipc && service.Container?.ShmSizeBytes is not null)
                return $"services.{service.Name}.shm_size: the replicas use {ipc}'s /dev/shm (ipc: service:{ipc}); "
                    + $"set shm_size on {ipc}";
            foreach (var network in service.Networks.Where(n => n.Ipv4Address is not null && n.Subnet is null))
                return $"services.{service.Name}.networks.{network.Network}.ipv4_address: needs the network's subnet";
        }
        return null;
    }

    public async Task<ProjectView?> ViewAsync(string name, CancellationToken ct)
    {
        if (await services.GetProjectAsync(name, ct) is not { } project)
            return null;
        var replicas = new List<ReplicaView>();
        foreach (var record in await services.ListReplicasAsync(name, ct))
        {
            var task = record.TaskId is { } id ? await store.GetTaskAsync(id, ct) : null;
            var definition = project.Spec.Services.FirstOrDefault(s => s.Name == record.Service);
            var phase = ReplicaTasks.Phase(record, task);
            replicas.Add(
                new ReplicaView(
                    record.Service,
                    record.Replica,
                    $"{record.Service}-{record.Replica}",
                    phase,
                    record.Health,
                    record.Agent,
                    record.RunId,
                    record.TaskId,
                    record.Generation,
                    record.Restarts,
                    task?.State == TaskState.Succeeded ? 0 : task?.ExitCode,
                    record.DefinitionHash,
                    definition is not null && record.DefinitionHash == DefinitionHash.Of(definition),
                    phase == ReplicaPhase.Running ? task?.StartedAt : null,
                    deployer.Waiting(name, record.Service, record.Replica)
                )
                {
                    Addresses = record.Addresses,
                    Ports =
                        phase == ReplicaPhase.Running && definition is not null
                            ?
                            [
                                .. definition.Ports.Select(p =>
                                    $"{p.HostIp}:{p.HostPort}->{p.ContainerPort}/{p.Protocol}"
                                ),
                            ]
                            : [],
                    HealthOutput = record.HealthOutput,
                    Error =
                        phase == ReplicaPhase.Exited && task is { State: TaskState.Failed, ExitCode: null }
                            ? task.Reason
                            : null,
                    RolledBack =
                        definition is not null && record.FailedHash == DefinitionHash.Of(definition)
                            ? record.FailedReason
                            : null,
                    Next = await SuccessorAsync(record, ct),
                }
            );
        }
        // Replicas not started yet (waiting for a dependency or an agent) show as absent, with why.
        foreach (var service in project.Spec.Services)
        {
            for (var index = 1; index <= service.Replicas; index++)
            {
                if (replicas.Any(r => r.Service == service.Name && r.Replica == index))
                    continue;
                replicas.Add(
                    new ReplicaView(
                        service.Name,
                        index,
                        $"{service.Name}-{index}",
                        ReplicaPhase.Absent,
                        ReplicaHealth.None,
                        null,
                        null,
                        null,
                        0,
                        0,
                        null,
                        null,
                        false,
                        null,
                        deployer.Waiting(name, service.Name, index)
                    )
                );
            }
        }
        return new ProjectView(
            project.Name,
            ServiceSecretFiles.Redact(project.Spec),
            [.. replicas.OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica)],
            project.CreatedBy,
            project.CreatedAt,
            project.UpdatedAt,
            project.Removing
        );
    }

    /// <summary>A roll's new task for the replica, as its task says it is (null when none is under way).</summary>
    private async Task<ReplicaSuccessorView?> SuccessorAsync(ReplicaRecord record, CancellationToken ct)
    {
        if (record.Next is not { } next)
            return null;
        var task = await store.GetTaskAsync(next.TaskId, ct);
        var phase = task is null ? ReplicaPhase.Stopped : ReplicaTasks.Phase(record, task);
        return new ReplicaSuccessorView(
            next.Generation,
            next.Agent,
            next.RunId,
            next.TaskId,
            phase,
            next.Health,
            phase == ReplicaPhase.Running ? task?.StartedAt : null
        )
        {
            HealthOutput = next.HealthOutput,
        };
    }

    public async Task<ProjectListView> ListAsync(CancellationToken ct)
    {
        var list = new List<ProjectSummaryView>();
        foreach (var project in await services.ListProjectsAsync(ct))
        {
            var records = await services.ListReplicasAsync(project.Name, ct);
            list.Add(
                new ProjectSummaryView(
                    project.Name,
                    project.Spec.Services.Count,
                    project.Spec.Services.Sum(s => s.Replicas),
                    records.Count(r => r.LastPhase == ReplicaPhase.Running),
                    project.Removing,
                    project.UpdatedAt
                )
            );
        }
        return new ProjectListView(list);
    }

    public async Task<IResult> DownAsync(string name, bool volumes, CancellationToken ct)
    {
        if (!await services.MarkRemovingAsync(name, volumes, time.GetUtcNow(), ct))
            return ApiResults.NotFound($"no project named '{name}'");
        signals.Pulse(SignalKeys.Project(name));
        return ApiResults.Json(await ViewAsync(name, ct), StatusCodes.Status202Accepted);
    }

    public async Task<IResult> ScaleAsync(
        string name,
        string service,
        ScaleBody body,
        Caller caller,
        CancellationToken ct
    )
    {
        if (body.Replicas is < 0 or > MaxReplicas)
            return ApiResults.Invalid($"replicas: must be between 0 and {MaxReplicas}");
        if (await services.GetProjectAsync(name, ct) is not { } project)
            return ApiResults.NotFound($"no project named '{name}'");
        if (project.Removing)
            return ApiResults.Error(StatusCodes.Status409Conflict, "CONFLICT", $"project '{name}' is going down");
        if (project.Spec.Services.All(s => s.Name != service))
            return ApiResults.NotFound($"project '{name}' has no service '{service}'");
        var spec = project.Spec with
        {
            Services =
            [
                .. project.Spec.Services.Select(s => s.Name == service ? s with { Replicas = body.Replicas } : s),
            ],
        };
        await services.PutProjectAsync(spec, caller.Name, time.GetUtcNow(), ct);
        signals.Pulse(SignalKeys.Project(name));
        return ApiResults.Json(await ViewAsync(name, ct));
    }

    /// <summary>Stops every live replica of the service to start it again at once (counted as a restart).</summary>
    public async Task<IResult> RestartAsync(string name, string service, CancellationToken ct)
    {
        if (await services.GetProjectAsync(name, ct) is not { } project)
            return ApiResults.NotFound($"no project named '{name}'");
        if (project.Spec.Services.All(s => s.Name != service))
            return ApiResults.NotFound($"project '{name}' has no service '{service}'");
        var now = time.GetUtcNow();
        foreach (var record in (await services.ListReplicasAsync(name, ct)).Where(r => r.Service == service))
        {
            var task = record.TaskId is { } id ? await store.GetTaskAsync(id, ct) : null;
            if (
                ReplicaTasks.Phase(record, task)
                is not (ReplicaPhase.Pending or ReplicaPhase.Running or ReplicaPhase.Exited)
            )
                continue;
            await services.SaveReplicaAsync(
                record with
                {
                    Stopping = true,
                    RestartRequested = true,
                    Restarts = record.Restarts + 1,
                    UpdatedAt = now,
                },
                ct
            );
            if (record.RunId is { } runId)
                await runs.StopAsync(runId, StopReason.Killed, ct, ServiceDeployer.StoppedBy);
            await services.AppendEventAsync(
                new NewServiceEvent(name, service, record.Replica, ReplicaEventKind.Stopping, "restart asked for", now),
                ct
            );
        }
        signals.Pulse(SignalKeys.Project(name));
        return ApiResults.Json(await ViewAsync(name, ct));
    }

    /// <summary>
    /// An agent's health report for the replica whose task it holds under <see cref="ReplicaHealthBody.Epoch"/>.
    /// </summary>
    public async Task<IResult> ReportHealthAsync(string taskId, ReplicaHealthBody body, CancellationToken ct)
    {
        if (await store.GetTaskAsync(taskId, ct) is not { } task)
            return ApiResults.NotFound($"no task '{taskId}'");
        if (task.Epoch != body.Epoch || task.State is not (TaskState.Leased or TaskState.Running))
            return ApiResults.Stale(taskId);
        if (await services.FindReplicaByTaskAsync(taskId, ct) is not { } before)
            return ApiResults.NotFound($"task '{taskId}' is not a service replica's current task");
        var output = body.Output is { Length: > 4096 } long_ ? long_[..4096] : body.Output;
        var now = time.GetUtcNow();
        await services.RecordHealthAsync(taskId, body.Health, body.FailingStreak, output, now, ct);
        // A roll's new replica (beside the old one) reports under its own task; its events say which generation it is.
        var next = before.Next?.TaskId == taskId ? before.Next : null;
        var was = next?.Health ?? before.Health;
        if (was != body.Health && body.Health is ReplicaHealth.Healthy or ReplicaHealth.Unhealthy)
        {
            var kind = body.Health == ReplicaHealth.Healthy ? ReplicaEventKind.Healthy : ReplicaEventKind.Unhealthy;
            var message =
                kind == ReplicaEventKind.Healthy ? "healthy" : $"unhealthy after {body.FailingStreak} failed check(s)";
            if (next is not null)
                message = $"generation {next.Generation} (the new definition) {message}";
            await services.AppendEventAsync(
                new NewServiceEvent(before.Project, before.Service, before.Replica, kind, message, now),
                ct
            );
        }
        if (was != body.Health)
            signals.Pulse(SignalKeys.Project(before.Project));
        return ApiResults.Json(EmptyView.Instance);
    }

    /// <summary>
    /// The <c>down -v</c> removals still to do: each <c>volumes_removing</c> event whose project has had no event since
    /// but removals (a project up again under the same name keeps its volumes), and that is not back.
    /// </summary>
    public async Task<VolumeRemovalsView> VolumeRemovalsAsync(CancellationToken ct)
    {
        var removals = new List<VolumeRemovalView>();
        long after = 0;
        while (true)
        {
            var page = await services.ListEventsAsync(null, after, 1000, ct);
            foreach (var e in page.Where(e => e.Kind == ReplicaEventKind.VolumesRemoving))
            {
                if (await services.GetProjectAsync(e.Project, ct) is not null)
                    continue;
                var later = await services.ListEventsAsync(e.Project, e.Seq, 1000, ct);
                if (later.Any(l => l.Kind != ReplicaEventKind.VolumeRemoved))
                    continue;
                removals.Add(
                    new VolumeRemovalView(e.Seq, e.Project, e.Message.Split(',', StringSplitOptions.RemoveEmptyEntries))
                );
            }
            if (page.Count < 1000)
                return new VolumeRemovalsView(removals);
            after = page[^1].Seq;
        }
    }

    /// <summary>Records the volumes an agent removed, one <c>volume_removed</c> event each.</summary>
    public async Task<IResult> VolumesRemovedAsync(VolumesRemovedBody body, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(body.Project) || string.IsNullOrEmpty(body.Agent))
            return ApiResults.Invalid("agent and project: required");
        var now = time.GetUtcNow();
        foreach (var volume in body.Volumes)
            await services.AppendEventAsync(
                new NewServiceEvent(
                    body.Project,
                    volume,
                    0,
                    ReplicaEventKind.VolumeRemoved,
                    $"volume {volume} removed on {body.Agent}",
                    now
                ),
                ct
            );
        return ApiResults.Json(EmptyView.Instance);
    }

    /// <summary>
    /// What the agents' DNS answers on one project network: each live replica's service name, aliases and hostname.
    /// </summary>
    public async Task<IResult> NamesAsync(string name, string network, CancellationToken ct)
    {
        if (await services.GetProjectAsync(name, ct) is not { } project)
            return ApiResults.NotFound($"no project named '{name}'");
        var records = new List<NameRecord>();
        foreach (var replica in await services.ListReplicasAsync(name, ct))
        {
            if (replica.Stopping || replica.LastPhase is not (ReplicaPhase.Pending or ReplicaPhase.Running))
                continue;
            if (replica.Addresses?.GetValueOrDefault(network) is not { } address)
                continue;
            var definition = project.Spec.Services.FirstOrDefault(s => s.Name == replica.Service);
            var attachment = definition?.Networks.FirstOrDefault(n => n.Network == network);
            IEnumerable<string> names =
            [
                replica.Service,
                definition?.Hostname ?? $"{replica.Service}-{replica.Replica}",
                .. attachment?.Aliases ?? [],
            ];
            records.AddRange(names.Distinct(StringComparer.Ordinal).Select(n => new NameRecord(n, address)));
        }
        return ApiResults.Json(
            new NetworkNamesView(
                project.NamesVersion,
                [.. records.OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Address, StringComparer.Ordinal)]
            )
        );
    }
}
