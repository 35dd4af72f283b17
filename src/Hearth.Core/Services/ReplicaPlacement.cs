using Hearth.Core.Placement;

namespace Hearth.Core.Services;

/// <summary>
/// Where a replica goes: an online agent that runs the oci driver, allows the capabilities the service adds
/// (<see cref="LinuxCapabilities.AllowedLabel"/>), meets the service's label constraints, has a
/// free slot and the declared cpus and memory (when it advertises <c>cpus</c> / <c>memory_bytes</c> labels), and has
/// fewer than <c>max_per_agent</c> of the service. Among those, the one with the fewest replicas of the service, then
/// the fewest tasks, then by name: replicas of a service spread over agents. Pure.
/// </summary>
public static class ReplicaPlacement
{
    public const string Driver = "oci";

    /// <param name="ofService">Replicas of this service already on each agent (by name), this pass's placements
    /// included.</param>
    /// <param name="load">Tasks on each agent (by name), this pass's placements included.</param>
    /// <returns>The agent's name, or null and why none fits.</returns>
    public static (string? Agent, string? Why) Choose(
        ServiceDefinition service,
        IReadOnlyList<AgentSnapshot> agents,
        IReadOnlyDictionary<string, int> ofService,
        IReadOnlyDictionary<string, int> load
    )
    {
        var online = agents.Where(a => a.Status == AgentStatus.Online).ToList();
        if (online.Count == 0)
            return (null, "no agent is online");
        var withDriver = online.Where(a => a.Runs(Driver)).ToList();
        if (withDriver.Count == 0)
            return (null, $"no online agent runs the {Driver} driver");
        var capable = withDriver.Where(a => CapabilitiesMissing(service, a).Count == 0).ToList();
        if (capable.Count == 0)
            return (null, NoCapabilities(service, withDriver));
        var constrained = capable.Where(a => service.Constraints.All(c => c.Matches(a.Labels))).ToList();
        if (constrained.Count == 0)
            return (null, $"no online agent meets {string.Join(", ", service.Constraints)}");
        var sized = constrained.Where(a => Fits(service, a)).ToList();
        if (sized.Count == 0)
            return (null, $"no online agent has {Resources(service)}");
        var roomy = sized.Where(a => load.GetValueOrDefault(a.Name, a.Running) < a.Capacity).ToList();
        if (roomy.Count == 0)
            return (null, "every agent that fits is at capacity");
        var allowed = roomy
            .Where(a => service.MaxPerAgent is not { } max || ofService.GetValueOrDefault(a.Name) < max)
            .ToList();
        if (allowed.Count == 0)
            return (
                null,
                $"every agent that fits has {service.MaxPerAgent} replica(s) of {service.Name} (max_per_agent)"
            );
        var best = allowed
            .OrderBy(a => ofService.GetValueOrDefault(a.Name))
            .ThenBy(a => load.GetValueOrDefault(a.Name, a.Running))
            .ThenBy(a => a.Name, StringComparer.Ordinal)
            .First();
        return (best.Name, null);
    }

    private static IReadOnlyList<string> CapabilitiesMissing(ServiceDefinition service, AgentSnapshot agent) =>
        service.Container is { CapAdd.Count: > 0 } container
            ? LinuxCapabilities.NotAllowed(container.CapAdd, LinuxCapabilities.AllowedBy(agent.Labels))
            : [];

    /// <summary>
    /// Names what no agent allows (or, when each is allowed somewhere, that none allows them together).
    /// </summary>
    private static string NoCapabilities(ServiceDefinition service, IReadOnlyList<AgentSnapshot> agents)
    {
        var missing = agents.Select(a => CapabilitiesMissing(service, a)).ToList();
        var nowhere = missing[0].Where(c => missing.All(m => m.Contains(c))).ToList();
        const string hint = "start an agent with --oci-allow-caps";
        return nowhere.Count switch
        {
            0 => $"no agent allows capabilities {string.Join(", ", service.Container!.CapAdd)} together; {hint}",
            1 => $"no agent allows capability {nowhere[0]}; {hint}",
            _ => $"no agent allows capabilities {string.Join(", ", nowhere)}; {hint}",
        };
    }

    private static bool Fits(ServiceDefinition service, AgentSnapshot agent)
    {
        if (
            service.Cpus is { } cpus
            && agent.Labels.TryGetValue("cpus", out var have)
            && double.TryParse(have, System.Globalization.CultureInfo.InvariantCulture, out var agentCpus)
            && agentCpus < cpus
        )
            return false;
        if (
            service.MemoryBytes is { } memory
            && agent.Labels.TryGetValue("memory_bytes", out var bytes)
            && long.TryParse(bytes, out var agentMemory)
            && agentMemory < memory
        )
            return false;
        return true;
    }

    private static string Resources(ServiceDefinition service) =>
        string.Join(
            " and ",
            new[]
            {
                service.Cpus is { } c ? $"{c} cpus" : null,
                service.MemoryBytes is { } m ? $"{m} bytes of memory" : null,
            }.Where(s => s is not null)
        );
}
