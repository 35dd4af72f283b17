using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The host's end of the guest protocol's control port (<c>hearth.control</c>, a virtio-serial port QEMU serves on a
/// Unix socket). Frames are lines, <c>KIND BASE64(VALUE)</c>: <c>hostname</c>, <c>machine-id</c>, <c>seed</c>,
/// <c>cwd</c>, <c>user</c> (uid:gid), then <c>env</c> (NAME=VALUE) and <c>arg</c> frames in order, then <c>run</c>;
/// after that, <c>signal N</c>, <c>exec ID BASE64(ARG)...</c> and <c>exec-kill ID</c>. The guest answers on its status
/// port (the guest init: Guest/guest-init.sh), never here. Secrets travel only this way: never on a command line, a
/// disk or a file of the host. With <paramref name="vsockPort"/>, the socket is a Firecracker vsock device's and the
/// port is asked for first (<see cref="Vsock.VsockHandshake"/>); the frames are the same.
/// </summary>
internal sealed class GuestChannel(string socketPath, uint? vsockPort = null) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Socket? _socket;

    /// <summary>
    /// Connects, retrying while QEMU has not made its socket yet; gives up when <paramref name="gone"/> says QEMU
    /// ended.
    /// </summary>
    public async Task ConnectAsync(Func<bool> gone, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                if (vsockPort is { } port)
                    await Vsock.VsockHandshake.ConnectAsync(socket, port, cancellationToken);
                _socket = socket;
                return;
            }
            catch (SocketException) when (!gone())
            {
                socket.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    public static string Frame(string kind, string value) =>
        kind + " " + Convert.ToBase64String(Encoding.UTF8.GetBytes(value)) + "\n";

    public static string Frame(string kind, byte[] value) => kind + " " + Convert.ToBase64String(value) + "\n";

    public async Task SendAsync(string frames, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var socket = _socket ?? throw new InvalidOperationException("the control channel is not connected");
            var bytes = Encoding.UTF8.GetBytes(frames);
            var sent = 0;
            while (sent < bytes.Length)
                sent += await socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="frames"/>, connecting first when a restart lost the connection (a recovered VM).
    /// </summary>
    public async Task SendAsync(string frames, Func<bool> gone, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_socket is null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await ConnectAsync(gone, time, timeout.Token);
        }
        await SendAsync(frames, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _socket?.Dispose();
        _socket = null;
        return ValueTask.CompletedTask;
    }
}
