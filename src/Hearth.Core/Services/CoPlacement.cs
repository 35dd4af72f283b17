namespace Hearth.Core.Services;

/// <summary>
/// Where a replica must run because it shares something with another service's replica: replica i of a service with
/// <c>network_mode: service:X</c>, <c>ipc: service:X</c> or <c>volumes_from: [X]</c> runs on the agent of X's replica i
/// (namespaces and named volumes live on an agent). Pure.
/// </summary>
public static class CoPlacement
{
    /// <summary>
    /// The agent replica <paramref name="index"/> of <paramref name="service"/> must go to (null: any), or why it must
    /// wait: a namespace partner's replica is not running yet (its namespaces do not exist), a <c>volumes_from</c>
    /// source's is not placed, the partner has fewer replicas, or two partners' replicas run on different agents.
    /// </summary>
    public static (string? Agent, string? Why) Agent(
        ServiceDefinition service,
        int index,
        IReadOnlyDictionary<string, ServiceDefinition> services,
        IReadOnlyDictionary<(string, int), ReplicaStatus> replicas
    )
    {
        string? agent = null;
        string? placedBy = null;
        var namespaces = service.NamespacePartners.ToHashSet(StringComparer.Ordinal);
        foreach (var partner in service.CoPlacedWith)
        {
            var shares = Shares(service, partner);
            if (!services.TryGetValue(partner, out var target))
                return (null, $"waiting: {partner} is not in the project ({shares})");
            if (index > target.Replicas)
                return (
                    null,
                    $"{partner} has {target.Replicas} replica(s): replica i of {service.Name} runs beside {partner}-i ({shares})"
                );
            var other = replicas.GetValueOrDefault((partner, index));
            var ready = namespaces.Contains(partner)
                ? other is { Phase: ReplicaPhase.Running, Stopping: false, Agent: not null }
                : other is { Live: true, Stopping: false, Agent: not null };
            if (!ready)
                return (
                    null,
                    $"waiting: {partner}-{index} is not {(namespaces.Contains(partner) ? "running" : "placed")} ({shares})"
                );
            if (agent is not null && agent != other!.Agent)
                return (
                    null,
                    $"waiting: {placedBy}-{index} runs on {agent} and {partner}-{index} on {other.Agent}; "
                        + $"{service.Name}-{index} must run beside both"
                );
            agent = other!.Agent;
            placedBy = partner;
        }
        return (agent, null);
    }

    /// <summary>
    /// The agent each network with a declared subnet is on: that of a live replica attached to it. Such a network's
    /// bridge has the declared subnet (its fixed addresses are in it), so it exists on one agent only.
    /// </summary>
    public static Dictionary<string, string> SubnetAgents(ProjectSpec project, IEnumerable<ReplicaStatus> replicas)
    {
        var services = project.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var agents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (
            var replica in replicas
                .Where(r => r.Live && r.Agent is not null)
                .OrderBy(r => r.Service, StringComparer.Ordinal)
                .ThenBy(r => r.Replica)
        )
        {
            if (!services.TryGetValue(replica.Service, out var service))
                continue;
            foreach (var network in service.Networks.Where(n => n.Subnet is not null))
                agents.TryAdd(network.Network, replica.Agent!);
        }
        return agents;
    }

    /// <summary>
    /// Narrows <paramref name="pinned"/> (from <see cref="Agent"/>) to the agent of the service's networks with a
    /// declared subnet (<see cref="SubnetAgents"/>), or says why the replica must wait: they are on different agents.
    /// </summary>
    public static (string? Agent, string? Why) OnSubnets(
        ServiceDefinition service,
        int index,
        string? pinned,
        IReadOnlyDictionary<string, string> subnetAgents
    )
    {
        var placedBy = pinned is null
            ? null
            : $"{string.Join(" and ", service.CoPlacedWith.Select(p => $"{p}-{index}"))}";
        foreach (var network in service.Networks.Where(n => n.Subnet is not null))
        {
            if (!subnetAgents.TryGetValue(network.Network, out var agent))
                continue;
            if (pinned is not null && pinned != agent)
                return (
                    null,
                    $"waiting: network {network.Network} (declared subnet {network.Subnet}) is on {agent} "
                        + $"and {placedBy} on {pinned}; {service.Name}-{index} must run beside both"
                );
            pinned = agent;
            placedBy = $"network {network.Network} (its declared subnet keeps it on one agent)";
        }
        return (pinned, null);
    }

    /// <summary>
    /// Why a live replica must be started again to follow a namespace partner: the partner's replica started after it
    /// (its namespaces are new; the old ones went with the old container) or runs on another agent now. Null: neither.
    /// </summary>
    public static string? PartnerChanged(
        ServiceDefinition service,
        ReplicaStatus replica,
        IReadOnlyDictionary<(string, int), ReplicaStatus> replicas
    )
    {
        foreach (var partner in service.NamespacePartners)
        {
            if (replicas.GetValueOrDefault((partner, replica.Replica)) is not { Phase: ReplicaPhase.Running } other)
                continue;
            if (other.Agent != replica.Agent)
                return $"{partner}-{replica.Replica} runs on {other.Agent} now; following it ({Shares(service, partner)})";
            if (replica.Phase == ReplicaPhase.Running && replica.StartedAt is { } started && other.StartedAt > started)
                return $"{partner}-{replica.Replica} restarted; restarting with it ({Shares(service, partner)})";
        }
        return null;
    }

    private static string Shares(ServiceDefinition service, string partner) =>
        string.Join(
            ", ",
            new[]
            {
                service.NetworkOf == partner ? $"network_mode: service:{partner}" : null,
                service.IpcOf == partner ? $"ipc: service:{partner}" : null,
                service.VolumesFrom?.Contains(partner) == true ? $"volumes_from: {partner}" : null,
            }.OfType<string>()
        );
}
