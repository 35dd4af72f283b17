using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// Named networks (a compose project's): a bridge and subnet each, made on first use and removed with the last sandbox,
/// several per container, published ports on the first. Private bridges, subnets and nftables tables per fixture.
/// </summary>
[Collection(RegistryCollection.Name)]
public class NamedNetworkTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_container_joins_two_networks_a_peer_reaches_it_on_one_its_port_is_published_and_the_last_one_out_removes_the_bridges()
    {
        var driver = NewDriver();
        var (front, back) = ("p" + network.NewId()[^6..] + "_front", "p" + network.NewId()[^6..] + "_back");
        var port = Tools.FreePort();
        var serverOutput = new CollectingOutput();
        var server = await driver.StartAsync(
            Spec(
                network.NewId(),
                [
                    "sh",
                    "-c",
                    "mkdir -p /tmp/www && hostname > /tmp/www/index.html && busybox ip -4 -o addr | busybox awk '{print $2, $4}' && exec busybox httpd -f -p 8080 -h /tmp/www",
                ]
            ) with
            {
                Networks = [new SandboxNetwork(front), new SandboxNetwork(back)],
                Hostname = "alpha",
                Ports = [new PortMapping("127.0.0.1", port, 8080)],
            },
            serverOutput,
            CancellationToken.None
        );
        string[] bridges;
        try
        {
            await serverOutput.WaitForLineAsync("lo 127.0.0.1/8", Timeout);
            await Poll.UntilAsync(() => serverOutput.Stdout.Count() >= 3, Timeout, "three addresses");
            Assert.Equal([front, back], server.Addresses.Select(a => a.Network));
            var registered = driver.NamedNetworks.List();
            bridges = registered.Select(n => n.Bridge).ToArray();
            Assert.Equal(2, bridges.Distinct().Count());
            foreach (var (named, i) in server.Addresses.Select((a, i) => (a, i)))
            {
                var entry = registered.Single(n => n.Name == named.Network);
                Assert.Equal(entry.Gateway, named.Gateway);
                Assert.Contains($"eth{i} {named.Address}/{entry.Subnet.Split('/')[1]}", serverOutput.Stdout);
                Assert.Contains(
                    $"hearth-network:{named.Network}",
                    await File.ReadAllTextAsync($"/sys/class/net/{entry.Bridge}/ifalias")
                );
            }

            // A peer on the second network only reaches it there.
            var backAddress = server.Addresses[1].Address;
            var peer = new CollectingOutput();
            await using (
                var client = await driver.StartAsync(
                    Spec(network.NewId(), ["busybox", "wget", "-q", "-O", "-", $"http://{backAddress}:8080/"]) with
                    {
                        Networks = [new SandboxNetwork(back)],
                    },
                    peer,
                    CancellationToken.None
                )
            )
            {
                var exit = await client.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
                Assert.True(exit.ExitCode == 0, peer.Stderr);
                Assert.Equal(["alpha"], peer.Stdout);
            }
            // The peer's leaving keeps the bridge the server is on.
            Assert.Equal(2, driver.NamedNetworks.List().Count);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            Assert.Equal("alpha\n", await GetWithRetriesAsync(http, $"http://127.0.0.1:{port}/"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.Empty(driver.NamedNetworks.List());
        foreach (var bridge in bridges)
            Assert.False(Directory.Exists($"/sys/class/net/{bridge}"), bridge);
        var tables = await Tools.RunAsync("nft", "list", "tables");
        // The bridges' nat tables are gone (the filter table, inet NFTTABLE_filter, stays for the default bridge).
        Assert.DoesNotContain($"table ip {network.Options.NftTable}_", tables);
        var filter = await Tools.RunAsync("nft", "list", "table", "inet", network.Options.NftTable + "_filter");
        foreach (var bridge in bridges)
            Assert.DoesNotContain(bridge, filter);
        Assert.DoesNotContain($"{port} :", await NetworkFixture.NftMapAsync(network.Options.NftTable, "ports"));
    }

    [Fact]
    public async Task Binds_tmpfs_and_files_with_their_modes_are_in_the_container()
    {
        var host = registry.NewDirectory("hearth-bind");
        await File.WriteAllTextAsync(Path.Combine(host, "host.txt"), "from the host");
        var output = new CollectingOutput();
        var spec = Spec(
            network.NewId(),
            [
                "sh",
                "-c",
                "cat /run/secrets/db_password; echo; busybox stat -c '%a %u' /run/secrets/db_password /etc/app.conf; cat /data/host.txt; echo;"
                    + " echo written > /data/out.txt; busybox dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>/dev/null; echo dd=$?;"
                    + " echo nope > /ro/x 2>/dev/null; echo ro=$?",
            ]
        ) with
        {
            Mounts =
            [
                new SandboxMount(SandboxMountKind.Bind, host, "/data"),
                new SandboxMount(SandboxMountKind.Bind, host, "/ro", ReadOnly: true),
                new SandboxMount(SandboxMountKind.Tmpfs, null, "/scratch", SizeBytes: 1 << 20),
            ],
            Files =
            [
                new SandboxFile("/run/secrets/db_password", "s3cret"u8.ToArray(), Mode: 0x100),
                new SandboxFile("/etc/app.conf", "x=1"u8.ToArray()),
            ],
        };
        await using (var sandbox = await driver().StartAsync(spec, output, CancellationToken.None))
        {
            var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.True(exit.ExitCode == 0, output.Stderr);
        }
        Assert.Equal(["s3cret", "400 0", "444 0", "from the host", "dd=1", "ro=1"], output.Stdout);
        Assert.Equal("written\n", await File.ReadAllTextAsync(Path.Combine(host, "out.txt")));

        var refused = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver()
                .StartAsync(
                    Spec(network.NewId(), ["true"]) with
                    {
                        Mounts = [new SandboxMount(SandboxMountKind.Bind, "/no/such/dir", "/x")],
                    },
                    new CollectingOutput(),
                    CancellationToken.None
                )
        );
        Assert.Contains("/no/such/dir does not exist", refused.Message);

        OciDriver driver() => NewDriver();
    }

    private OciDriver NewDriver() =>
        new(
            new OciDriverOptions
            {
                Runtime = "runc",
                StateRoot = registry.NewDirectory("hearth-runc-state"),
                Network = network.Options,
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
            ScratchRoot = Path.Combine(registry.NewDirectory("hearth-scratch"), "s"),
        };

    private static async Task<string> GetWithRetriesAsync(HttpClient http, string url)
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
