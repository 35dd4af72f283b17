using System.Net.Sockets;
using System.Text;
using Hearth.Sandbox.MicroVm.Vsock;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

public sealed class VsockStreamRelayTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hearth-relay-").FullName;

    [Fact]
    public async Task A_guest_that_reconnects_while_its_old_connection_is_open_loses_nothing_either_wrote()
    {
        var target = Path.Combine(_directory, "status");
        var uds = Path.Combine(_directory, "v.sock");
        await using var relay = VsockStreamRelay.Listen(uds, VsockPorts.Status, target);
        var listener = VsockPorts.HostListener(uds, VsockPorts.Status);

        using var old = await ConnectAsync(listener);
        await Poll.UntilAsync(() => relay.Busy, TimeSpan.FromSeconds(10), "the first connection accepted");
        using (var reconnected = await ConnectAsync(listener))
            await reconnected.SendAsync(Encoding.UTF8.GetBytes("{\"exit-code\": 0}\n"));
        await Poll.UntilAsync(() => relay.Received == 17, TimeSpan.FromSeconds(10), "the second connection's bytes");
        await old.SendAsync(Encoding.UTF8.GetBytes("{\"started\": 42}\n"));
        old.Shutdown(SocketShutdown.Send);
        await Poll.UntilAsync(() => relay.Received == 33, TimeSpan.FromSeconds(10), "the first connection's bytes");

        Assert.Equal("{\"exit-code\": 0}\n{\"started\": 42}\n", await File.ReadAllTextAsync(target));
    }

    private static async Task<Socket> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
