using System.Net;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// One container's place on the bridge: its network namespace (handed to the runtime), its veth and address, its
/// published ports. Disposing removes all of them and frees the address.
/// </summary>
public sealed class ContainerNetwork : IAsyncDisposable
{
    private readonly BridgeNetwork _bridge;
    private int _disposed;

    internal ContainerNetwork(
        BridgeNetwork bridge,
        string sandboxId,
        string namespaceName,
        IPAddress address,
        string hostVeth,
        IReadOnlyList<PortMapping> ports
    )
    {
        _bridge = bridge;
        SandboxId = sandboxId;
        NamespaceName = namespaceName;
        Address = address;
        HostVeth = hostVeth;
        Ports = ports;
    }

    public string SandboxId { get; }

    public string NamespaceName { get; }

    /// <summary>The bind-mounted namespace file the runtime joins.</summary>
    public string NamespacePath => BridgeNetwork.NamespacePath(NamespaceName);

    public IPAddress Address { get; }

    public IPAddress Gateway => _bridge.Gateway;

    public int PrefixLength => _bridge.PrefixLength;

    /// <summary>The host end of the veth pair (the container end is eth0).</summary>
    public string HostVeth { get; }

    public IReadOnlyList<PortMapping> Ports { get; }

    /// <summary>
    /// Whether detaching deletes the namespace: false for a sandbox's second and later named networks.
    /// </summary>
    public bool OwnsNamespace { get; init; } = true;

    /// <summary>The named network this is a place on; null on the default bridge.</summary>
    public string? NetworkName { get; init; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        await _bridge.DetachAsync(this, CancellationToken.None);
    }
}
