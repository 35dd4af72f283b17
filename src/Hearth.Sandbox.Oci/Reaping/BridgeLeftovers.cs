using System.Net;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>
/// What a networked sandbox leaves on the host: its network namespace (<c>/run/netns/hearth-SANDBOX</c>), the host end
/// of its veth and its published ports in the bridge's nftables maps (both found through the bridge's allocation record,
/// which names the sandbox), and that record. The bridge and the nftables table are shared by every sandbox and stay.
/// </summary>
public sealed class BridgeLeftovers(OciNetworkOptions options, TimeProvider time) : IOrphanSource
{
    private const string NamespaceDirectory = "/run/netns";
    private readonly BridgeNetwork _bridge = new(options, time);

    public async Task<IReadOnlyList<MarkedResource>> DiscoverAsync(IReadOnlyCollection<string> scratchRoots, CancellationToken cancellationToken)
    {
        var found = new List<MarkedResource>();
        if (Directory.Exists(NamespaceDirectory))
        {
            foreach (var file in Directory.EnumerateFiles(NamespaceDirectory, SandboxMarks.NamespacePrefix + "*"))
            {
                var name = Path.GetFileName(file);
                var sandbox = name[SandboxMarks.NamespacePrefix.Length..];
                if (!SandboxMarks.IsSandboxId(sandbox)) continue;
                found.Add(new MarkedResource(ResourceKind.NetworkNamespace, name, sandbox, null) { Destroy = ct => DeleteNamespaceAsync(name, ct) });
            }
        }
        foreach (var allocation in await _bridge.AllocationsAsync(cancellationToken))
        {
            if (!SandboxMarks.IsSandboxId(allocation.SandboxId)) continue;
            var veth = BridgeNetwork.HostVethName(IPAddress.Parse(allocation.Address));
            if (BridgeNetwork.LinkExists(veth))
                found.Add(new MarkedResource(ResourceKind.Veth, veth, allocation.SandboxId, null) { Destroy = ct => DeleteLinkAsync(veth, ct) });
            var ports = allocation.Ports.Count == 0 ? "no ports" : string.Join(", ", allocation.Ports);
            found.Add(new MarkedResource(ResourceKind.NftRule, $"ip {options.NftTable} {allocation.Address} ({ports})", allocation.SandboxId, null)
            {
                Destroy = ct => _bridge.ReleaseAsync(allocation, ct),
            });
        }
        return found;
    }

    private static async Task DeleteNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(NamespaceDirectory, name))) return;
        await HostCommand.RunAsync("ip", ["netns", "del", name], cancellationToken);
    }

    private static async Task DeleteLinkAsync(string veth, CancellationToken cancellationToken)
    {
        // Gone with its namespace already, most often: the peer's end takes the pair with it.
        if (!BridgeNetwork.LinkExists(veth)) return;
        var (exitCode, error) = await HostCommand.TryRunAsync("ip", ["link", "del", veth], cancellationToken);
        if (exitCode != 0 && BridgeNetwork.LinkExists(veth)) throw new NetworkSetupException($"ip link del {veth} failed: {error}");
    }
}
