using Hearth.Core.Placement;

namespace Hearth.Core.Services;

/// <summary>
/// The services' one decision: from a snapshot (desired project, replicas as they are, agents), what to start, stop,
/// restart, move or forget. Pure and replayable: the same snapshot gives the same plan; the server applies it.
/// <list type="bullet">
/// <item>A replica that never started waits for its <c>depends_on</c> conditions, then is placed
/// (<see cref="ReplicaPlacement"/>).</item>
/// <item>One that exited follows its restart policy, after a back-off that doubles from 1 s to 60 s; <c>always</c> and
/// <c>unless-stopped</c> have no attempt cap, <c>on-failure:N</c> stops after N restarts.</item>
/// <item>One whose agent was lost goes elsewhere at once; its old task is already failed, so the old agent's heartbeat
/// is refused (epoch fencing) and it stops the old container when it comes back.</item>
/// <item>One reported unhealthy is restarted; so are dependants (<c>restart: true</c>) of a dependency that
/// restarted after them.</item>
/// <item>A changed definition rolls one replica at a time: the new replica starts beside the old one (unless no agent
/// has room for both, or the new one publishes host ports and would land on the old one's agent: then old before new),
/// the old one stops once the new one runs healthy, and the next rolls. A new replica that fails is removed, the old
/// one keeps serving, and no replica rolls to that definition again until it changes.</item>
/// <item>A replica sharing another service's replica's namespaces or volumes runs on its agent (<see cref="CoPlacement"/>),
/// and starts again when that replica does.</item>
/// </list>
/// </summary>
public static class ServiceReconciler
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    public static ServicePlan Plan(ServiceSnapshot snapshot)
    {
        var actions = new List<ServiceAction>();
        DateTimeOffset? wakeAt = null;
        var byName = snapshot.Replicas.ToDictionary(r => (r.Service, r.Replica));

        if (snapshot.Removing)
        {
            foreach (
                var replica in snapshot.Replicas.OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica)
            )
            {
                if (replica.Successor is not null)
                    actions.Add(new RollBackReplica(replica.Service, replica.Replica, false, "project is going down"));
                if (replica.Live)
                {
                    if (!replica.Stopping)
                        actions.Add(
                            new StopReplica(replica.Service, replica.Replica, false, false, "project is going down")
                        );
                }
                else if (replica.Successor is null)
                    actions.Add(new ForgetReplica(replica.Service, replica.Replica, "project is going down"));
            }
            return new ServicePlan(actions, null, snapshot.Replicas.Count == 0);
        }

        var agents = Unheard(Latest(snapshot.Agents), snapshot.Replicas);
        var alive = agents
            .Where(a => a.Status != AgentStatus.Offline)
            .Select(a => a.Name)
            .ToHashSet(StringComparer.Ordinal);
        var load = agents.ToDictionary(a => a.Name, a => a.Running, StringComparer.Ordinal);
        var services = snapshot.Project.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var subnetAgents = CoPlacement.SubnetAgents(snapshot.Project, snapshot.Replicas);

        // Replicas of services no longer in the project, or above their service's scale, stop and go.
        foreach (
            var replica in snapshot.Replicas.OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica)
        )
        {
            var why =
                !services.TryGetValue(replica.Service, out var service) ? $"service {replica.Service} left the project"
                : replica.Replica > service.Replicas ? $"scaled to {service.Replicas}"
                : null;
            if (why is null)
                continue;
            if (replica.Successor is not null)
                actions.Add(new RollBackReplica(replica.Service, replica.Replica, false, why));
            if (replica.Live)
            {
                if (!replica.Stopping)
                    actions.Add(new StopReplica(replica.Service, replica.Replica, false, false, why));
            }
            else if (replica.Successor is null)
                actions.Add(new ForgetReplica(replica.Service, replica.Replica, why));
        }

        foreach (var service in snapshot.Project.Services.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            var hash = DefinitionHash.Of(service);
            var ofService = snapshot
                .Replicas.Where(r => r.Service == service.Name && r.Live && r.Agent is not null)
                .GroupBy(r => r.Agent!)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            var rolling = Rollout(snapshot, service, hash);

            for (var index = 1; index <= service.Replicas; index++)
            {
                var replica = byName.GetValueOrDefault((service.Name, index))
                    ?? new ReplicaStatus
                    {
                        Service = service.Name,
                        Replica = index,
                        Phase = ReplicaPhase.Absent,
                    };
                var action = Decide(snapshot, service, hash, replica, alive, rolling, byName, out var until);
                if (until is { } at && (wakeAt is null || at < wakeAt))
                    wakeAt = at;
                if (action is StartReplica placing)
                {
                    var (pinned, unmet) = CoPlacement.Agent(service, index, services, byName);
                    if (unmet is null)
                        (pinned, unmet) = CoPlacement.OnSubnets(service, index, pinned, subnetAgents);
                    if (unmet is not null && !placing.Beside)
                    {
                        actions.Add(new WaitReplica(service.Name, index, unmet));
                        continue;
                    }
                    var (agent, why) = unmet is not null
                        ? (null, unmet)
                        : ReplicaPlacement.Choose(
                            service,
                            pinned is null ? agents : [.. agents.Where(a => a.Name == pinned)],
                            ofService,
                            load
                        );
                    if (pinned is not null && agent is null)
                        why =
                            $"{why} (it must run on {pinned}, beside "
                            + $"{string.Join(" and ", service.CoPlacedWith.Select(p => $"{p}-{index}")
                            .Concat(service.Networks.Where(n => n.Subnet is not null).Select(n => $"network {n.Network}")))})";
                    // A replica sharing another's namespaces never runs beside its old copy (both would be in one
                    // network namespace, their ports clashing), nor does one with a fixed address (two copies cannot
                    // hold it): old before new.
                    if (
                        placing.Beside
                        && (service.NamespacePartners.Any() || service.Networks.Any(n => n.Ipv4Address is not null))
                    )
                        (agent, why) = (null, why ?? "it shares its partner's namespaces or holds a fixed address");
                    if (
                        placing.Beside
                        && (agent is null || agent == replica.Agent && service.Ports.Any(p => p.HostPort > 0))
                    )
                    {
                        // No room beside the old replica, or the new one would publish its host ports on the same
                        // agent: old before new, then (its slot is stopped, and started again with the new definition).
                        actions.Add(
                            new StopReplica(
                                service.Name,
                                index,
                                true,
                                false,
                                agent is null
                                    ? $"rolling to the new definition (old before new: no agent can take a second copy: {why})"
                                    : "rolling to the new definition (old before new: its host ports are the old one's)"
                            )
                        );
                        rolling = Roll.Busy;
                        continue;
                    }
                    if (agent is null)
                    {
                        actions.Add(new WaitReplica(service.Name, index, $"no agent can take it: {why}"));
                        continue;
                    }
                    if (placing.Beside)
                        rolling = Roll.Busy;
                    var start = placing with { Agent = agent };
                    foreach (var network in service.Networks.Where(n => n.Subnet is not null))
                        subnetAgents.TryAdd(network.Network, agent);
                    ofService[agent] = ofService.GetValueOrDefault(agent) + 1;
                    load[agent] = load.GetValueOrDefault(agent) + 1;
                    actions.Add(start);
                    continue;
                }
                if (
                    action is StopReplica { Reason: var reason }
                    && reason.StartsWith("rolling", StringComparison.Ordinal)
                )
                    rolling = Roll.Busy;
                if (action is not null)
                    actions.Add(action);
            }
        }
        return new ServicePlan(actions, wakeAt, false);
    }

    /// <summary>
    /// The back-off before restart number <paramref name="restarts"/> + 1: 1 s, 2 s, 4 s … up to 60 s.
    /// </summary>
    public static TimeSpan Backoff(int restarts) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, FirstBackoff.Ticks << Math.Min(restarts, 16)));

    private enum Roll
    {
        /// <summary>The next stale replica may roll.</summary>
        Free,

        /// <summary>A new replica is not running healthy yet: wait.</summary>
        Busy,

        /// <summary>A new replica failed: no more replicas roll.</summary>
        Halted,
    }

    private static Roll Rollout(ServiceSnapshot snapshot, ServiceDefinition service, string hash)
    {
        var mine = snapshot.Replicas.Where(r => r.Service == service.Name && r.Replica <= service.Replicas).ToList();
        var fresh = mine.Where(r => r.DefinitionHash == hash && r.Generation > 0).ToList();
        if (mine.Any(r => r.FailedHash == hash))
            return Roll.Halted;
        if (fresh.Any(r => r.Health == ReplicaHealth.Unhealthy || r.Phase is ReplicaPhase.Exited && r.ExitCode != 0))
            return Roll.Halted;
        if (mine.Any(r => r.Successor is not null))
            return Roll.Busy;
        if (fresh.Any(r => r.Phase == ReplicaPhase.Pending || r.Phase == ReplicaPhase.Running && !Ready(service, r)))
            return Roll.Busy;
        if (mine.Any(r => r.Stopping || r.RestartRequested))
            return Roll.Busy;
        return Roll.Free;
    }

    /// <summary>
    /// What becomes of a roll's new replica started beside the old one: it takes the old one's place once ready.
    /// </summary>
    private static ServiceAction? Successor(
        ServiceDefinition service,
        string hash,
        ReplicaStatus replica,
        ReplicaStatus next
    )
    {
        var (name, index) = (service.Name, replica.Replica);
        if (next.DefinitionHash != hash)
            return new RollBackReplica(
                name,
                index,
                false,
                "the definition changed again while its new replica started"
            );
        var failure = next.Phase switch
        {
            ReplicaPhase.Running when next.Health == ReplicaHealth.Unhealthy =>
                $"its health check failed{(string.IsNullOrWhiteSpace(next.HealthOutput) ? "" : $" ({next.HealthOutput.Trim()})")}",
            ReplicaPhase.Exited => $"it exited ({next.ExitCode?.ToString() ?? "no code"})",
            ReplicaPhase.Lost => "its agent was lost",
            ReplicaPhase.Stopped or ReplicaPhase.Absent => "it was stopped",
            _ => null,
        };
        if (failure is not null)
            return new RollBackReplica(
                name,
                index,
                true,
                $"the new definition's replica failed: {failure}; rolled back, the old one keeps serving"
            );
        if (next.Phase == ReplicaPhase.Running && Ready(service, next))
            return new PromoteReplica(
                name,
                index,
                service.HealthCheck is null
                    ? "the new definition's replica runs"
                    : "the new definition's replica is healthy"
            );
        return null;
    }

    private static ServiceAction? Decide(
        ServiceSnapshot snapshot,
        ServiceDefinition service,
        string hash,
        ReplicaStatus replica,
        IReadOnlySet<string> alive,
        Roll rolling,
        IReadOnlyDictionary<(string, int), ReplicaStatus> all,
        out DateTimeOffset? until
    )
    {
        until = null;
        var (name, index) = (service.Name, replica.Replica);
        StartReplica Start(bool restart, bool moved, string reason) =>
            new(name, index, replica.Generation + 1, "", hash, restart, moved, reason);

        if (replica.Successor is { } next)
            return Successor(service, hash, replica, next);

        switch (replica.Phase)
        {
            case ReplicaPhase.Absent:
                return Unmet(snapshot, service, all) is { } unmet
                    ? new WaitReplica(name, index, unmet)
                    : Start(false, false, "created");

            case ReplicaPhase.Pending
            or ReplicaPhase.Running:
                if (replica.Stopping)
                    return null;
                if (
                    replica.Agent is not null
                    && !alive.Contains(replica.Agent)
                    && replica.Phase == ReplicaPhase.Pending
                )
                    return new StopReplica(name, index, true, false, $"agent {replica.Agent} is offline; moving");
                if (replica.Phase == ReplicaPhase.Running && replica.Health == ReplicaHealth.Unhealthy)
                    return new StopReplica(name, index, true, true, "unhealthy; restarting");
                if (
                    replica.Phase == ReplicaPhase.Running
                    && DependencyRestarted(snapshot, service, replica) is { } dependency
                )
                    return new StopReplica(name, index, true, true, $"{dependency} restarted; restarting with it");
                if (CoPlacement.PartnerChanged(service, replica, all) is { } partner)
                    return new StopReplica(name, index, true, false, partner);
                if (replica.DefinitionHash != hash && rolling == Roll.Free)
                {
                    // New before old: the old one serves until the new one is ready (the plan falls back to old before
                    // new where there is no room beside it or their host ports would clash).
                    return replica.Phase == ReplicaPhase.Running
                        ? Start(false, false, "rolling to the new definition (new before old)") with
                        {
                            Beside = true,
                        }
                        : new StopReplica(name, index, true, false, "rolling to the new definition");
                }
                if (replica.DefinitionHash != hash && rolling == Roll.Halted)
                    return new WaitReplica(name, index, "roll halted: a replica of the new definition failed");
                return null;

            case ReplicaPhase.Lost:
                return Start(false, true, $"agent {replica.Agent} lost; moved");

            case ReplicaPhase.Stopped:
                return Start(false, false, replica.RestartRequested ? "restarted" : "started again");

            case ReplicaPhase.Exited:
                if (replica.RestartRequested)
                    return Start(false, false, "restarted");
                // Nothing of the old definition serves: an `up` with a changed definition starts it again, as compose
                // recreates a changed container, whatever the restart policy.
                if (replica.DefinitionHash != hash && rolling == Roll.Free)
                    return Start(false, false, "started with the new definition");
                if (!Restarts(service.Restart, replica))
                    return null;
                var at = (replica.EndedAt ?? snapshot.Now) + Backoff(replica.Restarts);
                if (at > snapshot.Now)
                {
                    until = at;
                    return new WaitReplica(
                        name,
                        index,
                        $"exited ({replica.ExitCode?.ToString() ?? "no code"}); restarting at {at:O}"
                    );
                }
                return Start(
                    true,
                    false,
                    $"exited ({replica.ExitCode?.ToString() ?? "no code"}); restart {replica.Restarts + 1} ({Policy(service.Restart)})"
                );
        }
        return null;
    }

    private static bool Restarts(ServiceRestart policy, ReplicaStatus replica) =>
        policy.Mode switch
        {
            RestartMode.Always or RestartMode.UnlessStopped => true,
            RestartMode.OnFailure => replica.ExitCode != 0
                && (policy.MaxRetries is not { } max || replica.Restarts < max),
            _ => false,
        };

    private static string Policy(ServiceRestart policy) =>
        policy.Mode switch
        {
            RestartMode.OnFailure => policy.MaxRetries is { } max ? $"on-failure:{max}" : "on-failure",
            RestartMode.UnlessStopped => "unless-stopped",
            RestartMode.Always => "always",
            _ => "no",
        };

    /// <summary>Why a first start must wait, or null: every required dependency met its condition.</summary>
    internal static string? Unmet(
        ServiceSnapshot snapshot,
        ServiceDefinition service,
        IReadOnlyDictionary<(string, int), ReplicaStatus> all
    )
    {
        foreach (var dependency in service.DependsOn)
        {
            var target = snapshot.Project.Services.FirstOrDefault(s => s.Name == dependency.Service);
            if (target is null)
            {
                if (!dependency.Required)
                    continue;
                return $"waiting: {dependency.Service} is not in the project";
            }
            var replicas = Enumerable
                .Range(1, target.Replicas)
                .Select(i => all.GetValueOrDefault((target.Name, i)))
                .ToList();
            var met = dependency.Condition switch
            {
                DependencyKind.ServiceStarted => replicas.All(r => r is { Phase: ReplicaPhase.Running }),
                DependencyKind.ServiceHealthy => replicas.All(r =>
                    r is { Phase: ReplicaPhase.Running } && Ready(target, r)
                ),
                _ => replicas.All(r => r is { Phase: ReplicaPhase.Exited, ExitCode: 0 }),
            };
            if (!met)
                return $"waiting: {dependency.Service} is not {dependency.Condition switch
                {
                    DependencyKind.ServiceStarted => "started",
                    DependencyKind.ServiceHealthy => "healthy",
                    _ => "completed successfully",
                }}";
        }
        return null;
    }

    /// <summary>Running and, if it has a health check, healthy.</summary>
    private static bool Ready(ServiceDefinition service, ReplicaStatus replica) =>
        service.HealthCheck is null || replica.Health == ReplicaHealth.Healthy;

    /// <summary>A <c>restart: true</c> dependency whose replica started after this one did.</summary>
    private static string? DependencyRestarted(
        ServiceSnapshot snapshot,
        ServiceDefinition service,
        ReplicaStatus replica
    )
    {
        if (replica.StartedAt is not { } started)
            return null;
        foreach (var dependency in service.DependsOn.Where(d => d.Restart))
        {
            if (
                snapshot.Replicas.Any(r =>
                    r.Service == dependency.Service && r.Phase == ReplicaPhase.Running && r.StartedAt > started
                )
            )
                return dependency.Service;
        }
        return null;
    }

    /// <summary>
    /// Agents that lost a replica (its lease ran out) and have not been heard from since count as offline, though the
    /// fleet calls an agent offline only after a longer silence (several lease TTLs): else the lost replica would be
    /// placed straight back on the dead agent, and move only once that silence is over.
    /// </summary>
    private static List<AgentSnapshot> Unheard(List<AgentSnapshot> agents, IReadOnlyList<ReplicaStatus> replicas) =>
        agents
            .Select(a =>
                a.Status != AgentStatus.Offline
                && replicas.Any(r =>
                    r.Phase == ReplicaPhase.Lost
                    && r.Agent == a.Name
                    && (r.EndedAt is not { } lost || a.LastSeenAt <= lost)
                )
                    ? a with
                    {
                        Status = AgentStatus.Offline,
                    }
                    : a
            )
            .ToList();

    /// <summary>
    /// One snapshot per agent name, the latest registration's (an agent that restarted registers again).
    /// </summary>
    private static List<AgentSnapshot> Latest(IReadOnlyList<AgentSnapshot> agents) =>
        agents
            .GroupBy(a => a.Name, StringComparer.Ordinal)
            .Select(g => g.OrderBy(a => a.Status == AgentStatus.Offline).ThenByDescending(a => a.LastSeenAt).First())
            .ToList();
}
