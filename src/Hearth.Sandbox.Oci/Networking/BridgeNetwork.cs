using System.Globalization;
using System.Net;
using System.Text;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// Puts containers on a Linux bridge: a network namespace per container, a veth pair into it, an address from the
/// <see cref="AddressAllocator"/>, a default route via the bridge, outbound masquerade and published ports in an
/// nftables table. The bridge, the table and IPv4 forwarding are set up on first use and left in place.
/// </summary>
public sealed class BridgeNetwork
{
    private const string NamespaceDirectory = "/run/netns";
    private readonly OciNetworkOptions _options;
    private readonly TimeProvider _time;
    private readonly Ipv4Subnet _subnet;
    private readonly NftRules _rules;
    private readonly NftRules _sharedRules;
    private readonly FilterRules _filter;
    private readonly AddressAllocator _allocator;
    private readonly string _lockPath;
    private readonly NamedNetworks? _named;
    private readonly string? _networkName;
    private bool _tableReady;

    public BridgeNetwork(OciNetworkOptions options, TimeProvider time)
        : this(options, time, null) { }

    /// <param name="named">
    /// The registry of named networks this bridge is one of: its own nftables table (masquerade for its subnet) is made
    /// with it, and it is removed once its last sandbox leaves. Null for the shared default bridge, which stays.
    /// </param>
    internal BridgeNetwork(
        OciNetworkOptions options,
        TimeProvider time,
        NamedNetworks? named,
        string? networkName = null
    )
    {
        _named = named;
        _networkName = networkName;
        if (
            options.BridgeName.Length is 0 or > 15
            || options.BridgeName.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
        )
            throw new ArgumentException($"'{options.BridgeName}' is not a valid interface name");
        _options = options;
        _time = time;
        _subnet = Ipv4Subnet.Parse(options.Subnet);
        _rules = new NftRules(options, _subnet);
        _filter = new FilterRules(options);
        // The shared table (the port maps) is the default bridge's, whichever bridge makes it first.
        _sharedRules = named is null ? _rules : new NftRules(named.Options, Ipv4Subnet.Parse(named.Options.Subnet));
        _allocator = new AddressAllocator(Path.Combine(options.StateDirectory, options.BridgeName + ".json"), _subnet);
        _lockPath = Path.Combine(options.StateDirectory, options.BridgeName + ".lock");
    }

    public IPAddress Gateway => _subnet.Gateway;

    public int PrefixLength => _subnet.PrefixLength;

    public string BridgeName => _options.BridgeName;

    public static string NamespacePath(string name) => Path.Combine(NamespaceDirectory, name);

    /// <summary>Whether ip(8) and nft(8), which bridge networking needs, are on PATH.</summary>
    public static bool ToolsAvailable()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return new[] { "ip", "nft" }.All(tool => path.Any(directory => File.Exists(Path.Combine(directory, tool))));
    }

    /// <param name="lowPortsForEveryone">Sets the namespace's <c>net.ipv4.ip_unprivileged_port_start</c> to 0.</param>
    public Task<ContainerNetwork> AttachAsync(
        string sandboxId,
        IReadOnlyList<PortMapping> ports,
        CancellationToken cancellationToken,
        bool lowPortsForEveryone = false
    ) =>
        AttachAsync(
            sandboxId,
            ports,
            cancellationToken,
            lowPortsForEveryone,
            joinNamespace: null,
            interfaceName: "eth0"
        );

    /// <summary>
    /// Puts the sandbox on this bridge: in a namespace of its own (made here, removed on detach), or, with
    /// <paramref name="joinNamespace"/>, in one an earlier attach of the same sandbox made (its second network:
    /// another interface, no default route, no published ports).
    /// </summary>
    /// <param name="fixedAddress">The sandbox's address on this bridge (a compose <c>ipv4_address</c>); null: the next
    /// free one.</param>
    internal async Task<ContainerNetwork> AttachAsync(
        string sandboxId,
        IReadOnlyList<PortMapping> ports,
        CancellationToken cancellationToken,
        bool lowPortsForEveryone,
        string? joinNamespace,
        string interfaceName,
        string? fixedAddress = null
    )
    {
        PublishedPorts.Validate(ports);
        var owns = joinNamespace is null;
        var namespaceName = joinNamespace ?? SandboxMarksNamespace(sandboxId);
        // The namespace exists before the address is recorded: an allocation without one is stale (see
        // AddressAllocator).
        if (owns)
            await HostCommand.RunAsync("ip", ["netns", "add", namespaceName], cancellationToken);
        IPAddress? address = null;
        try
        {
            address = await AllocateAsync(sandboxId, namespaceName, ports, cancellationToken, fixedAddress);
            var veth = HostVethName(address);
            if (LinkExists(veth))
                await HostCommand.TryRunAsync("ip", ["link", "del", veth], cancellationToken);
            await IpBatchAsync(
                null,
                cancellationToken,
                $"link add {veth} type veth peer name {interfaceName} netns {namespaceName}",
                $"link set {veth} master {_options.BridgeName} up"
            );
            var inside = new List<string>
            {
                $"addr add {address}/{_subnet.PrefixLength} dev {interfaceName}",
                $"link set {interfaceName} up",
            };
            if (owns)
                inside.AddRange(["link set lo up", $"route add default via {_subnet.Gateway}"]);
            await IpBatchAsync(namespaceName, cancellationToken, [.. inside]);
            if (lowPortsForEveryone && owns)
                await HostCommand.RunAsync(
                    "ip",
                    ["netns", "exec", namespaceName, "sysctl", "-qw", "net.ipv4.ip_unprivileged_port_start=0"],
                    cancellationToken
                );
            return new ContainerNetwork(this, sandboxId, namespaceName, address, veth, ports)
            {
                OwnsNamespace = owns,
                NetworkName = _networkName,
            };
        }
        catch
        {
            var failures = new List<string>();
            await TeardownAsync(
                sandboxId,
                owns ? namespaceName : null,
                address,
                address is null ? [] : ports,
                failures,
                CancellationToken.None
            );
            throw;
        }
    }

    /// <summary>
    /// Puts a VM on the bridge: a tap QEMU opens (named like a veth's host end, from the address), an address for the
    /// guest to take, the bridge's masquerade. An empty network namespace <c>hearth-SANDBOX</c> anchors the address
    /// allocation as a container's does, so what a VM that died without cleanup left is reclaimed and reaped the same
    /// way.
    /// </summary>
    public async Task<ContainerNetwork> AttachTapAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var namespaceName = "hearth-" + sandboxId;
        await HostCommand.RunAsync("ip", ["netns", "add", namespaceName], cancellationToken);
        IPAddress? address = null;
        try
        {
            address = await AllocateAsync(sandboxId, namespaceName, [], cancellationToken);
            var tap = HostVethName(address);
            if (LinkExists(tap))
                await HostCommand.TryRunAsync("ip", ["link", "del", tap], cancellationToken);
            await IpBatchAsync(
                null,
                cancellationToken,
                $"tuntap add dev {tap} mode tap",
                $"link set {tap} master {_options.BridgeName} up"
            );
            return new ContainerNetwork(this, sandboxId, namespaceName, address, tap, []);
        }
        catch
        {
            await TeardownAsync(sandboxId, namespaceName, address, [], [], CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// Removes a VM's tap, address and anchor namespace (<see cref="AttachTapAsync"/>) from its address alone;
    /// idempotent.
    /// </summary>
    public async Task DetachTapAsync(string sandboxId, IPAddress address, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        await TeardownAsync(sandboxId, "hearth-" + sandboxId, address, [], failures, cancellationToken);
        if (failures.Count > 0)
            throw new NetworkSetupException($"network cleanup of {sandboxId} failed: {string.Join("; ", failures)}");
    }

    /// <summary>The name servers a sandbox gets: the configured ones, else the host's minus loopback ones.</summary>
    public IReadOnlyList<string> NameServers() => ContainerEtcFiles.NameServers(_options);

    private static string SandboxMarksNamespace(string sandboxId) =>
        Hearth.Sandbox.Reaping.SandboxMarks.NamespacePrefix + sandboxId;

    internal async Task DetachAsync(ContainerNetwork network, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        await TeardownAsync(
            network.SandboxId,
            network.OwnsNamespace ? network.NamespaceName : null,
            network.Address,
            network.Ports,
            failures,
            cancellationToken
        );
        if (_named is not null)
        {
            try
            {
                await _named.RemoveIfUnusedAsync(_networkName!, cancellationToken);
            }
            catch (NetworkSetupException e)
            {
                failures.Add(e.Message);
            }
        }
        if (failures.Count > 0)
            throw new NetworkSetupException(
                $"network cleanup of {network.SandboxId} failed: {string.Join("; ", failures)}"
            );
    }

    /// <summary>The allocations now held on this bridge (for diagnostics and tests).</summary>
    public async Task<IReadOnlyList<(string Address, string SandboxId)>> ListAsync(CancellationToken cancellationToken)
    {
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        return _allocator.Read().Select(a => (a.Address, a.SandboxId)).ToList();
    }

    /// <summary>The allocations now recorded on this bridge, with their ports (for the orphan reaper).</summary>
    internal async Task<IReadOnlyList<Allocation>> AllocationsAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(_lockPath))
            return [];
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        return _allocator.Read();
    }

    /// <summary>
    /// Withdraws an allocation's published ports and frees its address (for the orphan reaper); idempotent.
    /// </summary>
    internal async Task ReleaseAsync(Allocation allocation, CancellationToken cancellationToken)
    {
        await using (await StateLock.AcquireAsync(_lockPath, _time, cancellationToken))
        {
            if (!_allocator.Read().Any(a => a.Address == allocation.Address && a.SandboxId == allocation.SandboxId))
                return;
            var failures = new List<string>();
            // One at a time: an element already gone fails alone.
            foreach (var port in allocation.Ports)
            {
                var (exitCode, error) = await HostCommand.TryRunAsync(
                    "nft",
                    ["-f", "-"],
                    cancellationToken,
                    _rules.Withdraw(port)
                );
                if (exitCode != 0 && !error.Contains("No such file", StringComparison.Ordinal))
                    failures.Add(error);
            }
            if (failures.Count > 0)
                throw new NetworkSetupException(
                    $"cannot withdraw the ports of {allocation.SandboxId}: {string.Join("; ", failures)}"
                );
            _allocator.Release(allocation.Address, allocation.SandboxId);
        }
        // Outside the bridge's lock: the registry's is taken first.
        if (_named is not null)
            await _named.RemoveIfUnusedAsync(_networkName!, cancellationToken);
    }

    /// <summary>
    /// A named bridge with no sandbox left on it (none whose namespace exists): its stale allocations' ports withdrawn,
    /// their veths, the bridge, its nftables table and its allocation record removed. Returns whether it is gone.
    /// </summary>
    internal async Task<bool> RemoveIfUnusedAsync(CancellationToken cancellationToken)
    {
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        var allocations = _allocator.Read();
        if (allocations.Any(a => File.Exists(NamespacePath(a.Namespace))))
            return false;
        foreach (var stale in allocations)
        {
            await WithdrawAsync(stale.Ports, cancellationToken);
            var veth = HostVethName(IPAddress.Parse(stale.Address));
            if (LinkExists(veth))
                await HostCommand.TryRunAsync("ip", ["link", "del", veth], cancellationToken);
        }
        if (LinkExists(_options.BridgeName))
            await HostCommand.RunAsync("ip", ["link", "del", _options.BridgeName], cancellationToken);
        var (exists, _) = await HostCommand.TryRunAsync(
            "nft",
            ["list", "table", _rules.BridgeTable],
            cancellationToken
        );
        if (exists == 0)
            await HostCommand.RunAsync("nft", ["delete", "table", _rules.BridgeTable], cancellationToken);
        await HostCommand.RunAsync(
            "nft",
            ["-f", "-"],
            cancellationToken,
            _filter.Remove(_options.BridgeName, _networkName)
        );
        if (_networkName is not null)
            // Fails while another agent's bridge of the same network uses the set: it goes with the last one.
            await HostCommand.TryRunAsync(
                "nft",
                ["-f", "-"],
                cancellationToken,
                _filter.RemoveNetworkSet(_networkName)
            );
        File.Delete(Path.Combine(_options.StateDirectory, _options.BridgeName + ".json"));
        _tableReady = false;
        return true;
    }

    private async Task<IPAddress> AllocateAsync(
        string sandboxId,
        string namespaceName,
        IReadOnlyList<PortMapping> ports,
        CancellationToken cancellationToken,
        string? fixedAddress = null
    )
    {
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        await EnsureBridgeAsync(cancellationToken);
        var (allocated, reclaimed) = _allocator.Allocate(
            sandboxId,
            namespaceName,
            ports,
            name => File.Exists(NamespacePath(name)),
            fixedAddress
        );
        foreach (var stale in reclaimed)
        {
            await WithdrawAsync(stale.Ports, cancellationToken);
            var staleVeth = HostVethName(IPAddress.Parse(stale.Address));
            if (LinkExists(staleVeth))
                await HostCommand.TryRunAsync("ip", ["link", "del", staleVeth], cancellationToken);
        }
        var address = IPAddress.Parse(allocated.Address);
        if (ports.Count > 0)
        {
            var script = string.Concat(ports.Select(p => _rules.Publish(p, allocated.Address)));
            var (exitCode, error) = await HostCommand.TryRunAsync("nft", ["-f", "-"], cancellationToken, script);
            if (exitCode != 0)
            {
                _allocator.Release(allocated.Address, sandboxId);
                throw new SandboxStartException(
                    error.Contains("File exists", StringComparison.Ordinal)
                        ? $"a host port in {string.Join(", ", ports)} is already published by another sandbox"
                        : $"cannot publish ports {string.Join(", ", ports)}: {error}"
                );
            }
        }
        return address;
    }

    /// <param name="namespaceName">The namespace to delete (the one this attach made); null: another attach's,
    /// kept.</param>
    private async Task TeardownAsync(
        string sandboxId,
        string? namespaceName,
        IPAddress? address,
        IReadOnlyList<PortMapping> ports,
        List<string> failures,
        CancellationToken cancellationToken
    )
    {
        if (address is not null)
        {
            var veth = HostVethName(address);
            if (LinkExists(veth))
                await Record(failures, HostCommand.TryRunAsync("ip", ["link", "del", veth], cancellationToken));
            await using (await StateLock.AcquireAsync(_lockPath, _time, cancellationToken))
            {
                if (ports.Count > 0)
                    await Record(
                        failures,
                        HostCommand.TryRunAsync(
                            "nft",
                            ["-f", "-"],
                            cancellationToken,
                            string.Concat(ports.Select(_rules.Withdraw))
                        )
                    );
                _allocator.Release(address.ToString(), sandboxId);
            }
        }
        if (namespaceName is not null && File.Exists(NamespacePath(namespaceName)))
            await Record(failures, HostCommand.TryRunAsync("ip", ["netns", "del", namespaceName], cancellationToken));
    }

    private static async Task Record(List<string> failures, Task<(int ExitCode, string Error)> step)
    {
        var (exitCode, error) = await step;
        if (exitCode != 0)
            failures.Add(error);
    }

    private async Task WithdrawAsync(IReadOnlyList<PortMapping> ports, CancellationToken cancellationToken)
    {
        // One at a time: a batch fails as a whole when one element is already gone.
        foreach (var port in ports)
            await HostCommand.TryRunAsync("nft", ["-f", "-"], cancellationToken, _rules.Withdraw(port));
    }

    /// <summary>Creates the bridge, its address, forwarding and the nftables table when missing (idempotent).</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        await EnsureBridgeAsync(cancellationToken);
    }

    /// <summary>Call under the state lock.</summary>
    private async Task EnsureBridgeAsync(CancellationToken cancellationToken)
    {
        var bridge = _options.BridgeName;
        if (!LinkExists(bridge))
        {
            // A named network's bridge carries its name as its alias: what made it, for whoever lists links.
            var commands = new List<string> { $"link add {bridge} type bridge" };
            if (_networkName is not null)
                commands.Add($"link set {bridge} alias hearth-network:{_networkName}");
            commands.AddRange([
                $"addr add {_subnet.Gateway}/{_subnet.PrefixLength} dev {bridge}",
                $"link set {bridge} up",
            ]);
            await IpBatchAsync(null, cancellationToken, [.. commands]);
            _tableReady = false;
        }
        if (_tableReady)
            return;
        await File.WriteAllTextAsync("/proc/sys/net/ipv4/ip_forward", "1", cancellationToken);
        // Lets packets DNAT'd from 127.0.0.1 be routed out of the bridge (they are then masqueraded).
        await File.WriteAllTextAsync($"/proc/sys/net/ipv4/conf/{bridge}/route_localnet", "1", cancellationToken);
        var (exists, _) = await HostCommand.TryRunAsync(
            "nft",
            ["list", "table", "ip", _options.NftTable],
            cancellationToken
        );
        if (exists != 0)
            await HostCommand.RunAsync("nft", ["-f", "-"], cancellationToken, _sharedRules.CreateTable());
        if (_named is not null)
        {
            var (own, _) = await HostCommand.TryRunAsync(
                "nft",
                ["list", "table", _rules.BridgeTable],
                cancellationToken
            );
            if (own != 0)
                await HostCommand.RunAsync("nft", ["-f", "-"], cancellationToken, _rules.CreateBridgeTable());
        }
        // Rewritten whole on every process's first use: an agent restarted with other allowed ports applies them.
        await HostCommand.RunAsync(
            "nft",
            ["-f", "-"],
            cancellationToken,
            _filter.Ensure(_options.BridgeName, _subnet.Gateway, _networkName, NameServers())
        );
        _tableReady = true;
    }

    private static Task IpBatchAsync(
        string? namespaceName,
        CancellationToken cancellationToken,
        params string[] commands
    )
    {
        var input = new StringBuilder();
        foreach (var command in commands)
            input.Append(command).Append('\n');
        string[] args = namespaceName is null ? ["-batch", "-"] : ["-n", namespaceName, "-batch", "-"];
        return HostCommand.RunAsync("ip", args, cancellationToken, input.ToString());
    }

    internal static bool LinkExists(string name) => Directory.Exists(Path.Combine("/sys/class/net", name));

    /// <summary>Unique while the address is held, and within the 15-character interface name limit.</summary>
    internal static string HostVethName(IPAddress address) =>
        "hv" + Ipv4Subnet.ToUInt(address).ToString("x8", CultureInfo.InvariantCulture);
}
