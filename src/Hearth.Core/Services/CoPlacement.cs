namespace Hearth.Core.Services;

/// <summary>
/// Where a replica must run because it shares something with another service's replica: replica i of a service with
/// <c>network_mode: service:X</c>, <c>ipc: service:X</c> or <c>volumes_from: [X]</c> runs on the agent of X's replica i
/// (namespaces and named volumes live on an agent). Pure.
/// </summary>
public static class CoPlacement
{
    /// <summary>
    /// The agent replica <paramref name="index"/> of <paramref name="service"/> must go to (null: any), or why it must wait:
    /// a namespace partner's replica is not running yet (its namespaces do not exist), a <c>volumes_from</c> source's is not
    /// placed, the partner has fewer replicas, or two partners' replicas run on different agents.
    /// </summary>
    public static (string? Agent, string? Why) Agent(ServiceDefinition service, int index,
        IReadOnlyDictionary<string, ServiceDefinition> services, IReadOnlyDictionary<(string, int), ReplicaStatus> replicas)
    {
        string? agent = null;
        string? placedBy = null;
        var namespaces = service.NamespacePartners.ToHashSet(StringComparer.Ordinal);
        foreach (var partner in service.CoPlacedWith)
        {
            var shares = Shares(service, partner);
            if (!services.TryGetValue(partner, out var target)) return (null, $"waiting: {partner} is not in the project ({shares})");
            if (index > target.Replicas)
                return (null, $"{partner} has {target.Replicas} replica(s): replica i of {service.Name} runs beside {partner}-i ({shares})");
            var other = replicas.GetValueOrDefault((partner, index));
            var ready = namespaces.Contains(partner)
                ? other is { Phase: ReplicaPhase.Running, Stopping: false, Agent: not null }
                : other is { Live: true, Stopping: false, Agent: not null };
            if (!ready)
                return (null, $"waiting: {partner}-{index} is not {(namespaces.Contains(partner) ? "running" : "placed")} ({shares})");
            if (agent is not null && agent != other!.Agent)
                return (null, $"waiting: {placedBy}-{index} runs on {agent} and {partner}-{index} on {other.Agent}; " +
                    $"{service.Name}-{index} must run beside both");
            agent = other!.Agent;
            placedBy = partner;
        }
        return (agent, null);
    }

    /// <summary>
    /// Why a live replica must be started again to follow a namespace partner: the partner's replica started after it
    /// (its namespaces are new; the old ones went with the old container) or runs on another agent now. Null: neither.
    /// </summary>
    public static string? PartnerChanged(ServiceDefinition service, ReplicaStatus replica,
        IReadOnlyDictionary<(string, int), ReplicaStatus> replicas)
    {
        foreach (var partner in service.NamespacePartners)
        {
            if (replicas.GetValueOrDefault((partner, replica.Replica)) is not { Phase: ReplicaPhase.Running } other) continue;
            if (other.Agent != replica.Agent)
                return $"{partner}-{replica.Replica} runs on {other.Agent} now; following it ({Shares(service, partner)})";
            if (replica.Phase == ReplicaPhase.Running && replica.StartedAt is { } started && other.StartedAt > started)
                return $"{partner}-{replica.Replica} restarted; restarting with it ({Shares(service, partner)})";
        }
        return null;
    }

    private static string Shares(ServiceDefinition service, string partner) =>
        string.Join(", ", new[]
        {
            service.NetworkOf == partner ? $"network_mode: service:{partner}" : null,
            service.IpcOf == partner ? $"ipc: service:{partner}" : null,
            service.VolumesFrom?.Contains(partner) == true ? $"volumes_from: {partner}" : null,
        }.OfType<string>());
}
