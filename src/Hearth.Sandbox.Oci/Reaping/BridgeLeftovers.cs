using System.Net;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>
/// What a networked sandbox leaves on the host: its network namespace (<c>/run/netns/hearth-SANDBOX</c>), the host end
/// of its veth and its published ports in the bridge's nftables maps (both found through the bridge's allocation
/// record, which names the sandbox), and that record. The default bridge and the nftables table are shared by every
/// sandbox and stay; a named network's bridge with no sandbox left on it goes (marked by the sandbox that joined it
/// last).
/// </summary>
public sealed class BridgeLeftovers(OciNetworkOptions options, TimeProvider time) : IOrphanSource
{
    private const string NamespaceDirectory = "/run/netns";
    private readonly BridgeNetwork _bridge = new(options, time);
    private readonly NamedNetworks _named = new(options, time);

    public async Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    )
    {
        var found = new List<MarkedResource>();
        if (Directory.Exists(NamespaceDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(NamespaceDirectory, SandboxMarks.NamespacePrefix + "*"))
            {
                var name = Path.GetFileName(file);
                var sandbox = name[SandboxMarks.NamespacePrefix.Length..];
                if (!SandboxMarks.IsSandboxId(sandbox))
                    continue;
                found.Add(
                    new MarkedResource(ResourceKind.NetworkNamespace, name, sandbox, null)
                    {
                        Destroy = ct => DeleteNamespaceAsync(name, ct),
                    }
                );
            }
        }
        await DiscoverAllocationsAsync(_bridge, found, cancellationToken);
        foreach (var network in _named.List())
        {
            var bridge = _named.Bridge(network);
            var allocations = await DiscoverAllocationsAsync(bridge, found, cancellationToken);
            // A named network's bridge with no sandbox on it (its last one died without leaving) is marked by that
            // sandbox.
            if (
                !allocations.Any(a => File.Exists(BridgeNetwork.NamespacePath(a.Namespace)))
                && SandboxMarks.IsSandboxId(network.LastSandbox)
            )
                found.Add(
                    new MarkedResource(
                        ResourceKind.Bridge,
                        $"{network.Bridge} (network {network.Name})",
                        network.LastSandbox,
                        null
                    )
                    {
                        Destroy = ct => _named.RemoveIfUnusedAsync(network.Name, ct),
                    }
                );
        }
        return found;
    }

    private async Task<IReadOnlyList<Allocation>> DiscoverAllocationsAsync(
        BridgeNetwork bridge,
        List<MarkedResource> found,
        CancellationToken cancellationToken
    )
    {
        var allocations = await bridge.AllocationsAsync(cancellationToken);
        foreach (var allocation in allocations)
        {
            if (!SandboxMarks.IsSandboxId(allocation.SandboxId))
                continue;
            var veth = BridgeNetwork.HostVethName(IPAddress.Parse(allocation.Address));
            if (BridgeNetwork.LinkExists(veth))
                found.Add(
                    new MarkedResource(ResourceKind.Veth, veth, allocation.SandboxId, null)
                    {
                        Destroy = ct => DeleteLinkAsync(veth, ct),
                    }
                );
            var ports = allocation.Ports.Count == 0 ? "no ports" : string.Join(", ", allocation.Ports);
            found.Add(
                new MarkedResource(
                    ResourceKind.NftRule,
                    $"ip {options.NftTable} {allocation.Address} ({ports})",
                    allocation.SandboxId,
                    null
                )
                {
                    Destroy = ct => bridge.ReleaseAsync(allocation, ct),
                }
            );
        }
        return allocations;
    }

    private static async Task DeleteNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(NamespaceDirectory, name)))
            return;
        await HostCommand.RunAsync("ip", ["netns", "del", name], cancellationToken);
    }

    private static async Task DeleteLinkAsync(string veth, CancellationToken cancellationToken)
    {
        // Gone with its namespace already, most often: the peer's end takes the pair with it.
        if (!BridgeNetwork.LinkExists(veth))
            return;
        var (exitCode, error) = await HostCommand.TryRunAsync("ip", ["link", "del", veth], cancellationToken);
        if (exitCode != 0 && BridgeNetwork.LinkExists(veth))
            throw new NetworkSetupException($"ip link del {veth} failed: {error}");
    }
}
