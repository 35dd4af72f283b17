using System.Net.Sockets;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// Every <see cref="NetworkTests"/> test again with containers in a user namespace, whose bridge network namespace
/// belongs to the host's user namespace and not to the container's.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class NetworkUserNamespaceTests(RegistryFixture registry, NetworkFixture network)
    : NetworkTests(registry, network)
{
    protected override IdMapping? UserNamespace => new(100000, 65536);

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task Root_serves_port_80_published_on_loopback_and_reaches_an_allowed_port_on_the_gateway(
        string runtime
    )
    {
        var bridge = new Networking.BridgeNetwork(Network.Options, TimeProvider.System);
        await bridge.EnsureAsync(CancellationToken.None);
        using var listener = new TcpListener(bridge.Gateway, 0);
        listener.Start();
        var gatewayPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var driver = NewDriver(runtime, allowedHostPort: gatewayPort);
        var answered = AnswerOnceAsync(listener, "hello from the host");

        var hostPort = Tools.FreePort();
        var output = new CollectingOutput();
        var spec = Spec(
            Network.NewId(),
            [
                "sh",
                "-c",
                $"cat /proc/self/uid_map; busybox nc {driver.Network.Gateway} {gatewayPort} </dev/null; mkdir -p /tmp/www && echo served > /tmp/www/index.html && exec busybox httpd -f -p 80 -h /tmp/www",
            ]
        ) with
        {
            Ports = [new PortMapping("127.0.0.1", hostPort, 80)],
        };
        await using var sandbox = await driver.StartAsync(spec, output, CancellationToken.None);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal("served\n", await GetWithRetriesAsync(http, $"http://127.0.0.1:{hostPort}/"));
        await answered.WaitAsync(Timeout);
        Assert.Equal(
            ["0 100000 65536", "hello from the host"],
            output.Stdout.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        );
        await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
    }

    [Fact]
    public async Task Sys_is_there_read_only_and_shows_the_containers_own_interfaces()
    {
        var id = Network.NewId();
        var (exit, output) = await RunAsync(
            NewDriver(),
            id,
            [
                "sh",
                "-c",
                "ls /sys/class/net; touch /sys/kernel/x 2>/dev/null && echo writable; grep ' /sys ' /proc/self/mounts | busybox cut -d' ' -f4 | busybox cut -d, -f1",
            ]
        );
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(
            ["eth0", "lo", "ro"],
            output.Stdout.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        );
        // The sysfs the driver mounted for the namespace went with the sandbox.
        Assert.DoesNotContain(id, await File.ReadAllTextAsync("/proc/self/mountinfo"));
    }
}
