using System.Net.Sockets;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests;

/// <summary>
/// A VM that asks for a network joins the Hearth bridge through a tap and reaches a listener on the bridge's host side
/// on a port the agent allows, and not one on another port (the oci bridge's filter holds for VMs too); its tap,
/// address and anchor namespace are gone after it. (A VM without one has only lo:
/// <see cref="WarmPoolTests"/>.)
/// </summary>
public sealed class MicroVmNetworkTests(VmFixture fixture) : IClassFixture<VmFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_vm_with_a_network_reaches_an_allowed_port_on_the_host_side_of_the_bridge_only_and_leaves_no_tap()
    {
        var bridge = new BridgeNetwork(new OciNetworkOptions(), TimeProvider.System);
        await bridge.EnsureAsync(CancellationToken.None);
        using var listener = new TcpListener(bridge.Gateway, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOnceAsync(listener);
        using var refused = new TcpListener(bridge.Gateway, 0);
        refused.Start();
        var refusedPort = ((System.Net.IPEndPoint)refused.LocalEndpoint).Port;
        var unexpected = refused.AcceptTcpClientAsync();

        var id = Guid.NewGuid().ToString("N")[..12] + "-net-a1-e1";
        var spec = new SandboxSpec
        {
            SandboxId = id,
            Command =
            [
                "sh",
                "-c",
                $"ls /sys/class/net; echo ping | busybox nc {bridge.Gateway} {port}; "
                    + $"if busybox nc -w 5 {bridge.Gateway} {refusedPort} </dev/null; "
                    + "then echo reached; else echo refused; fi",
            ],
            Image = fixture.Image,
            Network = true,
            ScratchRoot = fixture.NewDirectory("hvn"),
            StateDirectory = Path.Combine(fixture.NewDirectory("hvs"), id),
        };
        var output = new CollectingOutput();
        string? address;
        // --oci-allow-host-ports PORT on the agent: its microvm driver gets the same allowance as its oci driver.
        var driver = new MicroVmDriver(
            fixture.Options with
            {
                Network = fixture.Options.Network with { AllowedHostPorts = [new HostPortRange(port, port)] },
            },
            fixture.Store,
            TimeProvider.System
        );
        await using (var sandbox = await driver.StartAsync(spec, output, CancellationToken.None))
        {
            address = sandbox.Handle.State.GetValueOrDefault("network_address");
            Assert.NotNull(address);
            Assert.Contains((address, id), await bridge.ListAsync(CancellationToken.None));
            var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.True(
                exit.ExitCode == 0,
                $"exit {exit.ExitCode}: {string.Join(" | ", output.Lines.Select(l => l.Line))}"
            );
        }
        Assert.Equal(["eth0", "lo", "pong", "refused"], output.Stdout);
        Assert.False(unexpected.IsCompleted);
        var (line, peer) = await served.WaitAsync(Timeout);
        Assert.Equal("ping", line);
        Assert.Equal(address, peer);

        Assert.DoesNotContain(id, (await bridge.ListAsync(CancellationToken.None)).Select(a => a.SandboxId));
        Assert.False(File.Exists($"/run/netns/hearth-{id}"), "the anchor namespace is left");
        var tap = "hv" + Convert.ToHexString(System.Net.IPAddress.Parse(address!).GetAddressBytes()).ToLowerInvariant();
        Assert.False(Directory.Exists($"/sys/class/net/{tap}"), $"tap {tap} is left");
    }

    private static async Task<(string Line, string Peer)> ServeOnceAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var peer = ((System.Net.IPEndPoint)client.Client.RemoteEndPoint!).Address.ToString();
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream);
        var line = await reader.ReadLineAsync() ?? "";
        await stream.WriteAsync("pong\n"u8.ToArray());
        return (line, peer);
    }
}
