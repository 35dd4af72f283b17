using System.Net;
using System.Net.Sockets;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The bridge's filter (<c>inet TABLE_filter</c>): a container is refused every address of the host itself (the
/// bridge's gateway, another host address, the bridge's IPv6 link-local one) unless the port is allowed, while the
/// world beyond the host (the fixture's upstream namespace) and published ports still work; containers on different
/// networks cannot reach each other unless on both, or on the same network of another agent on this host; a named
/// network's rules go with its bridge. Listeners are on the fixture's bridge and upstream link only.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class HostIsolationTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private string FilterTable => network.Options.NftTable + "_filter";

    [Fact]
    public async Task A_container_is_refused_the_hosts_own_addresses_but_reaches_the_upstream_and_an_allowed_port()
    {
        var bridge = new BridgeNetwork(network.Options, TimeProvider.System);
        await bridge.EnsureAsync(CancellationToken.None);
        await using var gateway = Listener.Start(bridge.Gateway);
        // The host's address on the upstream link: an address of the host that is not the bridge's.
        await using var other = Listener.Start(IPAddress.Parse(network.UpstreamHostAddress));
        var linkLocal = await LinkLocalAsync(network.Options.BridgeName);
        await using var v6 = Listener.Start(linkLocal);
        var upstream = $"http://{network.UpstreamServerAddress}:{NetworkFixture.UpstreamPort}/cgi-bin/whoami";
        string[] command =
        [
            "sh",
            "-c",
            Probe("gateway", bridge.Gateway.ToString(), gateway.Port)
                + Probe("other", network.UpstreamHostAddress, other.Port)
                + Probe("v6", $"{linkLocal.ToString().Split('%')[0]}%eth0", v6.Port)
                + $"busybox wget -q -O - {upstream}",
        ];

        var (exit, output) = await RunAsync(NewDriver(network.Options), command);
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(["gateway refused", "other refused", "v6 refused", network.UpstreamHostAddress], output.Stdout);
        Assert.Equal(0, gateway.Accepted + other.Accepted + v6.Accepted);

        // An agent started with --oci-allow-host-ports for the two IPv4 listeners' ports: reached (IPv6 stays refused).
        var allowing = network.Options with
        {
            AllowedHostPorts =
            [
                new HostPortRange(gateway.Port, gateway.Port),
                new HostPortRange(other.Port, other.Port),
            ],
        };
        (exit, output) = await RunAsync(NewDriver(allowing), command);
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(["gateway reached", "other reached", "v6 refused", network.UpstreamHostAddress], output.Stdout);
        Assert.Equal((1, 1, 0), (gateway.Accepted, other.Accepted, v6.Accepted));

        // Restarted without it: the bridge's rules are rewritten, the port is refused again, nothing is doubled.
        (_, output) = await RunAsync(NewDriver(network.Options), command);
        Assert.Equal(["gateway refused", "other refused", "v6 refused"], output.Stdout.Take(3));
        var input = await NftAsync("list", "chain", "inet", FilterTable, FilterRules.InputChain(bridge.BridgeName));
        Assert.Single(input.Split('\n'), l => l.Contains("reject", StringComparison.Ordinal));
        Assert.DoesNotContain($"{gateway.Port}", input);
        var table = await NftAsync("list", "table", "inet", FilterTable);
        Assert.Single(table.Split('\n'), l => l.Trim() == "iifname vmap @inputs");
        Assert.Single(table.Split('\n'), l => l.Trim() == "iifname vmap @forwards");
    }

    [Fact]
    public async Task A_name_server_on_a_host_address_is_reached_on_port_53_and_nothing_else_there()
    {
        // Containers are given a name server that is one of the host's addresses (dnsmasq on the LAN address, say).
        var host = IPAddress.Parse(network.UpstreamHostAddress);
        var options = network.Options with { DnsServers = [network.UpstreamHostAddress] };
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(host, 53));
        var datagram = new byte[64];
        var received = udp.ReceiveAsync(datagram);
        var tcp = new TcpListener(host, 53);
        tcp.Start();
        await using var tcpDns = Listener.Started(tcp);
        await using var other = Listener.Start(host);

        var (exit, output) = await RunAsync(
            NewDriver(options),
            [
                "sh",
                "-c",
                // Nothing answers: the query only has to arrive (busybox's nc has no UDP mode here).
                $"busybox timeout 3 busybox nslookup query.hearth.test {host} >/dev/null 2>&1; "
                    + Probe("dns-tcp", host.ToString(), 53)
                    + Probe("other", host.ToString(), other.Port),
            ]
        );
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(["dns-tcp reached", "other refused"], output.Stdout);
        var length = await received.WaitAsync(Timeout);
        Assert.Contains("query", System.Text.Encoding.ASCII.GetString(datagram, 0, length));
        Assert.Equal((1, 0), (tcpDns.Accepted, other.Accepted));
    }

    [Fact]
    public async Task Containers_on_different_networks_are_refused_to_each_other_unless_on_both_and_published_ports_still_work()
    {
        var driver = NewDriver(network.Options);
        var tag = network.NewId()[^6..];
        var (a, b) = ($"p{tag}_a", $"p{tag}_b");
        var publishedPort = Tools.FreePort();
        var serverOutput = new CollectingOutput();
        var server = await driver.StartAsync(
            Spec(network.NewId(), ServeCommand("on-a")) with
            {
                Networks = [new SandboxNetwork(a)],
            },
            serverOutput,
            CancellationToken.None
        );
        var publishedOutput = new CollectingOutput();
        // On the default bridge, with a port published on every host address.
        var published = await driver.StartAsync(
            Spec(network.NewId(), ServeCommand("published")) with
            {
                Network = true,
                Ports = [new PortMapping("0.0.0.0", publishedPort, 8080)],
            },
            publishedOutput,
            CancellationToken.None
        );
        string[] bridges;
        try
        {
            await serverOutput.WaitForLineAsync("serving", Timeout);
            await publishedOutput.WaitForLineAsync("serving", Timeout);
            var serverAddress = server.Addresses.Single().Address;
            var bGateway = "";
            var fetchServer = Fetch("a", serverAddress, 8080);

            // On b only: refused (b's bridge to a's). On the default bridge: refused too.
            var (_, fromB) = await RunAsync(
                driver,
                Spec(
                    network.NewId(),
                    ["sh", "-c", fetchServer + $"busybox ip route | busybox awk '/default/ {{print $3}}'"]
                ) with
                {
                    Networks = [new SandboxNetwork(b)],
                }
            );
            Assert.Equal("a refused", fromB.Stdout.First());
            bGateway = fromB.Stdout.Last();
            var (_, fromDefault) = await RunAsync(
                driver,
                Spec(network.NewId(), ["sh", "-c", fetchServer]) with
                {
                    Network = true,
                }
            );
            Assert.Equal(["a refused"], fromDefault.Stdout);

            // On b and a: reached, through its own interface on a.
            var (_, fromBoth) = await RunAsync(
                driver,
                Spec(network.NewId(), ["sh", "-c", fetchServer]) with
                {
                    Networks = [new SandboxNetwork(b), new SandboxNetwork(a)],
                }
            );
            Assert.Equal(["on-a"], fromBoth.Stdout);

            // A published port is reached from network b through b's gateway (a host address), across bridges.
            var (_, toPublished) = await RunAsync(
                driver,
                Spec(network.NewId(), ["sh", "-c", Fetch("published", bGateway, publishedPort)]) with
                {
                    Networks = [new SandboxNetwork(b)],
                }
            );
            Assert.Equal(["published"], toPublished.Stdout);
            // And from the host, as before.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal("published\n", await http.GetStringAsync($"http://127.0.0.1:{publishedPort}/"));

            // b's bridge went with its last sandbox; a's is there, with its chains.
            bridges = [.. driver.NamedNetworks.List().Select(n => n.Bridge)];
            Assert.Single(bridges);
            var table = await NftAsync("list", "table", "inet", FilterTable);
            Assert.Contains($"chain {FilterRules.InputChain(bridges[0])} {{", table);
            Assert.Contains($"chain {FilterRules.ForwardChain(bridges[0])} {{", table);
            Assert.DoesNotContain(FilterRules.NetworkSet(b), table);
        }
        finally
        {
            await server.DisposeAsync();
            await published.DisposeAsync();
        }

        // The last one out took the networks' bridges and their filter rules with them.
        Assert.Empty(driver.NamedNetworks.List());
        var after = await NftAsync("list", "table", "inet", FilterTable);
        Assert.DoesNotContain(network.Options.NamedBridgePrefix, after);
        Assert.DoesNotContain(FilterRules.NetworkSet(a), after);
        // The default bridge's rules stay, as its bridge and nat table do.
        Assert.Contains($"chain {FilterRules.InputChain(network.Options.BridgeName)} {{", after);
    }

    [Fact]
    public async Task An_internal_network_reaches_its_own_sandboxes_only_and_its_published_port_still_answers()
    {
        var driver = NewDriver(network.Options);
        var tag = network.NewId()[^6..];
        var (closed, open) = ($"p{tag}_closed", $"p{tag}_open");
        var publishedPort = Tools.FreePort();
        var serverOutput = new CollectingOutput();
        await using var server = await driver.StartAsync(
            Spec(network.NewId(), ServeCommand("on-closed")) with
            {
                Networks = [new SandboxNetwork(closed, Internal: true)],
                Ports = [new PortMapping("0.0.0.0", publishedPort, 8080)],
            },
            serverOutput,
            CancellationToken.None
        );
        await serverOutput.WaitForLineAsync("serving", Timeout);
        var probe =
            Fetch("peer", server.Addresses.Single().Address, 8080)
            + Fetch("upstream", network.UpstreamServerAddress, NetworkFixture.UpstreamPort);

        // A peer on the internal network reaches the server and nothing beyond the network.
        var (_, fromClosed) = await RunAsync(
            driver,
            Spec(network.NewId(), ["sh", "-c", probe]) with
            {
                Networks = [new SandboxNetwork(closed, Internal: true)],
            }
        );
        Assert.Equal(["on-closed", "upstream refused"], fromClosed.Stdout);
        // An ordinary network's sandbox reaches the world beyond the host, as before.
        var (_, fromOpen) = await RunAsync(
            driver,
            Spec(
                network.NewId(),
                ["sh", "-c", Fetch("upstream", network.UpstreamServerAddress, NetworkFixture.UpstreamPort)]
            ) with
            {
                Networks = [new SandboxNetwork(open)],
            }
        );
        Assert.NotEqual(["upstream refused"], fromOpen.Stdout);
        // The server's published port answers: replies to connections made to it go out.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal("on-closed\n", await http.GetStringAsync($"http://127.0.0.1:{publishedPort}/"));

        // The network is internal on this host: a sandbox that wants it open is refused, not quietly let out.
        var refused = await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync(driver, Spec(network.NewId(), ["true"]) with { Networks = [new SandboxNetwork(closed)] })
        );
        Assert.Contains($"network {closed} is internal on this host", refused.Message);
    }

    [Fact]
    public async Task Two_agents_on_one_host_share_a_network_across_their_bridges_but_not_another()
    {
        // A second agent: its own bridge prefix and range, the same nftables table (the default for every agent).
        var first = NewDriver(network.Options);
        var pool = Ipv4Subnet.Parse(network.Options.NamedSubnets);
        var second = NewDriver(
            network.Options with
            {
                NamedBridgePrefix = network.Options.NamedBridgePrefix + "b",
                NamedSubnets = new Ipv4Subnet(pool.Network ^ (1u << 15), 20).ToString(),
            }
        );
        var tag = network.NewId()[^6..];
        var (shared, other) = ($"p{tag}_shared", $"p{tag}_other");
        var serverOutput = new CollectingOutput();
        var server = await first.StartAsync(
            Spec(network.NewId(), ServeCommand("first")) with
            {
                Networks = [new SandboxNetwork(shared)],
            },
            serverOutput,
            CancellationToken.None
        );
        try
        {
            await serverOutput.WaitForLineAsync("serving", Timeout);
            var fetch = Fetch("shared", server.Addresses.Single().Address, 8080);
            var (_, sameNetwork) = await RunAsync(
                second,
                Spec(network.NewId(), ["sh", "-c", fetch]) with
                {
                    Networks = [new SandboxNetwork(shared)],
                }
            );
            Assert.Equal(["first"], sameNetwork.Stdout);
            var (_, otherNetwork) = await RunAsync(
                second,
                Spec(network.NewId(), ["sh", "-c", fetch]) with
                {
                    Networks = [new SandboxNetwork(other)],
                }
            );
            Assert.Equal(["shared refused"], otherNetwork.Stdout);
        }
        finally
        {
            await server.DisposeAsync();
        }
        Assert.DoesNotContain(FilterRules.NetworkSet(shared), await NftAsync("list", "table", "inet", FilterTable));
    }

    private static string Probe(string name, string host, int port) =>
        $"if busybox nc -w 5 {host} {port} </dev/null >/dev/null 2>&1; "
        + $"then echo '{name} reached'; else echo '{name} refused'; fi; ";

    /// <summary>
    /// Prints the page's last line, or "NAME refused" (busybox 1.35's wget crashes with -T, and a refused connection
    /// should fail at once anyway: nc with a timeout).
    /// </summary>
    private static string Fetch(string name, string host, int port) =>
        $"if page=$(printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 {host} {port}) && [ -n \"$page\" ]; "
        + $"then echo \"$page\" | busybox tail -n 1; else echo '{name} refused'; fi; ";

    private static string[] ServeCommand(string page) =>
        [
            "sh",
            "-c",
            $"mkdir -p /tmp/www && echo {page} > /tmp/www/index.html && echo serving "
                + "&& exec busybox httpd -f -p 8080 -h /tmp/www",
        ];

    /// <summary>
    /// An IPv6 link-local address of the test's own on the bridge (the kernel's appears only once a port is up, after
    /// duplicate address detection): what a host service on [::] is reachable at from every container on the bridge.
    /// </summary>
    private static async Task<IPAddress> LinkLocalAsync(string bridge)
    {
        var tail = Random.Shared.Next(0x1000, 0xffff).ToString("x");
        await Tools.RunAsync("ip", "-6", "addr", "add", $"fe80::be:{tail}/64", "dev", bridge, "nodad");
        var index = int.Parse(await File.ReadAllTextAsync($"/sys/class/net/{bridge}/ifindex"));
        return IPAddress.Parse($"fe80::be:{tail}%{index}");
    }

    private static Task<string> NftAsync(params string[] args) => Tools.RunAsync("nft", args);

    private OciDriver NewDriver(OciNetworkOptions options) =>
        new(
            new OciDriverOptions
            {
                Runtime = "runc",
                StateRoot = registry.NewDirectory("hearth-runc-state"),
                Network = options,
            },
            registry.NewStore(),
            TimeProvider.System
        );

    private SandboxSpec Spec(string id, IReadOnlyList<string> command) =>
        new()
        {
            SandboxId = id,
            Image = registry.BusyboxRef,
            Command = command,
            Network = true,
            ScratchRoot = Path.Combine(registry.NewDirectory("hearth-scratch"), "s"),
        };

    private Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(OciDriver driver, string[] command) =>
        RunAsync(driver, Spec(network.NewId(), command));

    private static async Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(OciDriver driver, SandboxSpec spec)
    {
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(spec, output, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        return (exit, output);
    }

    /// <summary>A listener on one host address that answers every connection with a line and counts them.</summary>
    private sealed class Listener : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task _loop;
        private int _accepted;

        private Listener(TcpListener listener)
        {
            _listener = listener;
            _loop = LoopAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Accepted => Volatile.Read(ref _accepted);

        public static Listener Start(IPAddress address)
        {
            var listener = new TcpListener(address, 0);
            listener.Start();
            return new Listener(listener);
        }

        /// <summary>Serves a listener the test started on a port of its choosing.</summary>
        public static Listener Started(TcpListener listener) => new(listener);

        private async Task LoopAsync()
        {
            try
            {
                while (true)
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _accepted);
                    await client.GetStream().WriteAsync("hello\n"u8.ToArray());
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _loop;
        }
    }
}
