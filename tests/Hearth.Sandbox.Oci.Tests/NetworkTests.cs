using System.Net.Sockets;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The oci driver's bridge network on a private bridge, subnet and nftables table. Traffic goes only to loopback,
/// to the host's bridge address, or to the upstream namespace <see cref="NetworkFixture"/> creates.
/// </summary>
[Collection(RegistryCollection.Name)]
public class NetworkTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The user namespace every driver of this class runs containers in (a subclass runs them all in one).
    /// </summary>
    protected virtual IdMapping? UserNamespace => null;

    protected NetworkFixture Network => network;

    [Fact]
    public async Task A_networked_container_has_an_address_a_default_route_hosts_and_resolv_conf_and_reaches_an_allowed_host_port()
    {
        var bridge = new Networking.BridgeNetwork(network.Options, TimeProvider.System);
        await bridge.EnsureAsync(CancellationToken.None);
        using var listener = new TcpListener(bridge.Gateway, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = AnswerOnceAsync(listener, "hello from the host");
        // The host is refused to containers but for the ports the agent allows (HostIsolationTests).
        var driver = NewDriver(allowedHostPort: port);

        var id = network.NewId();
        var (exit, output) = await RunAsync(
            driver,
            id,
            [
                "sh",
                "-c",
                $"busybox ip -4 -o addr show dev eth0; busybox ip route; cat /etc/resolv.conf /etc/hosts; busybox nc {driver.Network.Gateway} {port} </dev/null",
            ]
        );
        Assert.Equal(0, exit.ExitCode);
        var lines = output.Stdout.Select(l => l.TrimEnd()).ToList();
        var address = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
        Assert.StartsWith(network.Options.Subnet[..^5], address);
        Assert.Contains($"default via {driver.Network.Gateway} dev eth0", lines);
        Assert.Contains("nameserver 192.0.2.53", lines);
        Assert.Contains($"{address.Split('/')[0]}\t{id}", lines);
        Assert.Contains("hello from the host", lines);
        await accepted.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Outbound_traffic_is_masqueraded_to_a_namespace_beyond_the_host()
    {
        var (exit, output) = await RunAsync(
            NewDriver(),
            network.NewId(),
            // busybox 1.35 wget crashes with -T, hence no timeout option.
            [
                "busybox",
                "wget",
                "-q",
                "-O",
                "-",
                $"http://{network.UpstreamServerAddress}:{NetworkFixture.UpstreamPort}/cgi-bin/whoami",
            ]
        );
        Assert.True(exit.ExitCode == 0, output.Stderr);
        // The upstream namespace has no route to the bridge subnet: it saw, and answered, the host's address.
        Assert.Equal([network.UpstreamHostAddress], output.Stdout);
    }

    [Fact]
    public async Task Without_network_there_is_only_lo()
    {
        var (exit, output) = await RunAsync(
            NewDriver(),
            network.NewId(),
            ["sh", "-c", "busybox ip -o link | busybox cut -d: -f2"],
            withNetwork: false
        );
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(["lo"], output.Stdout.Select(l => l.Trim()));
    }

    [Fact]
    public async Task Concurrent_containers_get_different_addresses_and_reach_each_other()
    {
        var driver = NewDriver();
        var outputs = new[] { new CollectingOutput(), new CollectingOutput() };
        var ids = new[] { network.NewId(), network.NewId() };
        var starts = ids.Select(
            (id, i) =>
                driver.StartAsync(
                    Spec(
                        id,
                        [
                            "sh",
                            "-c",
                            "busybox ip -4 -o addr show dev eth0 | busybox awk '{print $4}' | busybox cut -d/ -f1; echo pong | busybox nc -l -p 7000",
                        ]
                    ),
                    outputs[i],
                    CancellationToken.None
                )
        );
        var sandboxes = await Task.WhenAll(starts);
        try
        {
            var addresses = new string[2];
            for (var i = 0; i < 2; i++)
            {
                await outputs[i].WaitForAnyLineAsync(Timeout);
                addresses[i] = outputs[i].Stdout.First();
            }
            Assert.NotEqual(addresses[0], addresses[1]);
            var held = await driver.Network.ListAsync(CancellationToken.None);
            Assert.Equal(addresses.Order(), held.Where(a => ids.Contains(a.SandboxId)).Select(a => a.Address).Order());

            var (_, client) = await RunAsync(
                driver,
                network.NewId(),
                ["busybox", "nc", "-w", "5", addresses[1], "7000"]
            );
            Assert.Contains("pong", client.Stdout);
        }
        finally
        {
            foreach (var sandbox in sandboxes)
                await sandbox.DisposeAsync();
        }
        Assert.DoesNotContain(await driver.Network.ListAsync(CancellationToken.None), a => ids.Contains(a.SandboxId));
    }

    [Fact]
    public async Task A_published_port_on_loopback_reaches_httpd_in_the_container_and_dispose_removes_everything()
    {
        var driver = NewDriver();
        var loopbackPort = Tools.FreePort();
        var anyPort = Tools.FreePort();
        var id = network.NewId();
        var output = new CollectingOutput();
        var spec = Spec(
            id,
            [
                "sh",
                "-c",
                "mkdir -p /tmp/www && echo served-from-container > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www",
            ]
        ) with
        {
            Ports = [new PortMapping("127.0.0.1", loopbackPort, 8080), new PortMapping("0.0.0.0", anyPort, 8080)],
        };
        string veth;
        var sandbox = await driver.StartAsync(spec, output, CancellationToken.None);
        try
        {
            var held = await driver.Network.ListAsync(CancellationToken.None);
            var address = held.Single(a => a.SandboxId == id).Address;
            veth = "hv" + string.Concat(address.Split('.').Select(b => int.Parse(b).ToString("x2")));
            Assert.True(Directory.Exists($"/sys/class/net/{veth}"));
            Assert.True(File.Exists($"/run/netns/hearth-{id}"));

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal(
                "served-from-container\n",
                await GetWithRetriesAsync(http, $"http://127.0.0.1:{loopbackPort}/")
            );
            Assert.Equal("served-from-container\n", await GetWithRetriesAsync(http, $"http://127.0.0.1:{anyPort}/"));

            // A second sandbox asking for the same host port is refused and leaves nothing behind.
            var clash = network.NewId();
            var refused = await Assert.ThrowsAsync<SandboxStartException>(() =>
                driver.StartAsync(
                    Spec(clash, ["true"]) with
                    {
                        Ports = [new PortMapping("127.0.0.1", loopbackPort, 80)],
                    },
                    new CollectingOutput(),
                    CancellationToken.None
                )
            );
            Assert.Contains("already published", refused.Message);
            Assert.False(File.Exists($"/run/netns/hearth-{clash}"));
        }
        finally
        {
            await sandbox.DisposeAsync();
        }

        Assert.False(Directory.Exists($"/sys/class/net/{veth}"));
        Assert.False(File.Exists($"/run/netns/hearth-{id}"));
        Assert.DoesNotContain(await driver.Network.ListAsync(CancellationToken.None), a => a.SandboxId == id);
        Assert.DoesNotContain($"{loopbackPort} :", await NetworkFixture.NftMapAsync(network.Options.NftTable, "ports"));
        Assert.DoesNotContain($"{anyPort} :", await NetworkFixture.NftMapAsync(network.Options.NftTable, "ports_any"));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() =>
            new HttpClient().GetStringAsync($"http://127.0.0.1:{loopbackPort}/")
        );
    }

    [Fact]
    public async Task Ports_without_network_or_with_bad_values_are_refused()
    {
        var driver = NewDriver();
        await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(
                Spec(network.NewId(), ["true"], withNetwork: false) with
                {
                    Ports = [new PortMapping("127.0.0.1", Tools.FreePort(), 80)],
                },
                new CollectingOutput(),
                CancellationToken.None
            )
        );
        foreach (
            var bad in new[]
            {
                new PortMapping("::1", 8080, 80),
                new PortMapping("127.0.0.1", 0, 80),
                new PortMapping("127.0.0.1", 8080, 80, "sctp"),
            }
        )
        {
            var id = network.NewId();
            await Assert.ThrowsAsync<SandboxStartException>(() =>
                driver.StartAsync(
                    Spec(id, ["true"]) with
                    {
                        Ports = [bad],
                    },
                    new CollectingOutput(),
                    CancellationToken.None
                )
            );
            Assert.False(File.Exists($"/run/netns/hearth-{id}"));
        }
    }

    [Fact]
    public async Task An_address_left_by_a_crashed_process_is_reclaimed_with_its_ports()
    {
        // A "crashed" holder: attached, then its namespace vanished without the driver cleaning up.
        var crashed = new Networking.BridgeNetwork(network.Options, TimeProvider.System);
        var port = Tools.FreePort();
        var stale = await crashed.AttachAsync(
            network.NewId(),
            [new PortMapping("127.0.0.1", port, 80)],
            CancellationToken.None
        );
        await Tools.RunAsync("ip", "netns", "del", stale.NamespaceName);

        var (exit, _) = await RunAsync(NewDriver(), network.NewId(), ["true"]);
        Assert.Equal(0, exit.ExitCode);
        Assert.DoesNotContain(await crashed.ListAsync(CancellationToken.None), a => a.SandboxId == stale.SandboxId);
        Assert.DoesNotContain($"{port} :", await NetworkFixture.NftMapAsync(network.Options.NftTable, "ports"));
        Assert.False(Directory.Exists($"/sys/class/net/{stale.HostVeth}"));
    }

    /// <param name="allowedHostPort">A host port containers may reach (<c>--oci-allow-host-ports</c>).</param>
    protected OciDriver NewDriver(string runtime = "runc", int? allowedHostPort = null) =>
        new(
            new OciDriverOptions
            {
                Runtime = runtime,
                StateRoot = registry.NewDirectory($"hearth-{runtime}-state"),
                FixHybridCgroupsForCrun = runtime == "crun",
                Network = allowedHostPort is { } allowed
                    ? network.Options with
                    {
                        AllowedHostPorts = [new Networking.HostPortRange(allowed, allowed)],
                    }
                    : network.Options,
                UserNamespace = UserNamespace,
            },
            registry.NewStore(),
            TimeProvider.System
        );

    protected SandboxSpec Spec(string id, IReadOnlyList<string> command, bool withNetwork = true) =>
        new()
        {
            SandboxId = id,
            Image = registry.BusyboxRef,
            Command = command,
            Network = withNetwork,
            ScratchRoot = Path.Combine(registry.NewDirectory("hearth-scratch"), "s"),
        };

    protected async Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(
        OciDriver driver,
        string id,
        IReadOnlyList<string> command,
        bool withNetwork = true
    )
    {
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(
            Spec(id, command, withNetwork),
            output,
            CancellationToken.None
        );
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        return (exit, output);
    }

    protected static async Task AnswerOnceAsync(TcpListener listener, string line)
    {
        using var client = await listener.AcceptTcpClientAsync();
        await using var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
    }

    protected static async Task<string> GetWithRetriesAsync(HttpClient http, string url)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (HttpRequestException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }
}
