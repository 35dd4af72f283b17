using System.Text.Json;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// Hands out subnet addresses from a JSON file changed only under the bridge's state lock, so sandboxes started
/// at the same time, by several processes, or after a restart never share an address. An allocation whose network
/// namespace no longer exists belongs to a sandbox that died without cleanup and is reclaimed.
/// </summary>
internal sealed class AddressAllocator(string stateFile, Ipv4Subnet subnet)
{
    /// <summary>Call under the state lock. Returns the new allocation and the stale ones it reclaimed.</summary>
    /// <param name="fixedAddress">The address to take (a compose <c>ipv4_address</c>) instead of the next free
    /// one.</param>
    public (Allocation Allocated, IReadOnlyList<Allocation> Reclaimed) Allocate(
        string sandboxId,
        string namespaceName,
        IReadOnlyList<PortMapping> ports,
        Func<string, bool> namespaceExists,
        string? fixedAddress = null
    )
    {
        var state = Load();
        var reclaimed = state.Allocations.Where(a => !namespaceExists(a.Namespace)).ToList();
        var live = state.Allocations.Except(reclaimed).ToList();
        var taken = live.Select(a => a.Address).ToHashSet(StringComparer.Ordinal);
        if (fixedAddress is not null)
        {
            if (
                !System.Net.IPAddress.TryParse(fixedAddress, out var ip)
                || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
                || Ipv4Subnet.ToUInt(ip) - subnet.Network is var index && (index < 2 || index > subnet.HostCount)
            )
                throw new NetworkSetupException(
                    $"{fixedAddress} is not a host address of {subnet} other than its gateway"
                );
            if (live.FirstOrDefault(a => a.Address == fixedAddress) is { } holder)
                throw new NetworkSetupException($"{fixedAddress} is taken on {subnet} by sandbox {holder.SandboxId}");
            var pinned = new Allocation(fixedAddress, sandboxId, namespaceName, ports);
            live.Add(pinned);
            Save(state with { Allocations = live });
            return (pinned, reclaimed);
        }

        // Round robin from the last address handed out, so a just-freed address (and conntrack entries still
        // naming it) is not reused at once. Index 1 is the gateway.
        var count = subnet.HostCount - 1;
        for (uint step = 1; step <= count; step++)
        {
            var index = (uint)(2 + ((long)state.Last - 2 + step) % count);
            var address = subnet.Host(index).ToString();
            if (taken.Contains(address))
                continue;
            var allocation = new Allocation(address, sandboxId, namespaceName, ports);
            live.Add(allocation);
            Save(new AllocationState(index, live));
            return (allocation, reclaimed);
        }
        throw new NetworkSetupException($"no free address left in {subnet}");
    }

    /// <summary>Call under the state lock.</summary>
    public void Release(string address, string sandboxId)
    {
        var state = Load();
        var remaining = state.Allocations.Where(a => !(a.Address == address && a.SandboxId == sandboxId)).ToList();
        if (remaining.Count != state.Allocations.Count)
            Save(state with { Allocations = remaining });
    }

    public IReadOnlyList<Allocation> Read() => Load().Allocations;

    private AllocationState Load()
    {
        if (!File.Exists(stateFile))
            return new AllocationState(1, []);
        var state = JsonSerializer.Deserialize(File.ReadAllText(stateFile), OciJsonContext.Default.AllocationState)
            ?? new AllocationState(1, []);
        return state.Last < 1 || state.Last > subnet.HostCount ? state with { Last = 1 } : state;
    }

    private void Save(AllocationState state)
    {
        var temporary = stateFile + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(state, OciJsonContext.Default.AllocationState));
        File.Move(temporary, stateFile, overwrite: true);
    }

    internal sealed record AllocationState(uint Last, IReadOnlyList<Allocation> Allocations);
}
