using System.Net.Sockets;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// Listens where Firecracker forwards the guest's connections to one port (<c>uds_path_PORT</c>) and appends all it
/// receives to one of the sandbox's files (stdout, stderr, status): the vsock counterpart of QEMU's virtio-serial
/// chardev <c>file</c>. The guest may reconnect (after an agent restart, when the relay listens again): each
/// connection appends where the file ends. All connections write through one stream, one chunk at a time: two streams
/// opened in append mode each keep their own offset, so a reconnected guest could overwrite what the old connection
/// had not yet written.
/// </summary>
internal sealed class VsockStreamRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _listenerPath;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly FileStream _file;
    private long _received;

    private VsockStreamRelay(Socket listener, string listenerPath, FileStream file)
    {
        _listener = listener;
        _listenerPath = listenerPath;
        _file = file;
        _accepting = AcceptAsync();
    }

    /// <summary>Bytes appended so far (all connections).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Connections being read now.</summary>
    public bool Busy
    {
        get
        {
            lock (_connections)
                return _connections.Any(c => !c.IsCompleted);
        }
    }

    public static VsockStreamRelay Listen(string udsPath, uint port, string target)
    {
        var path = VsockPorts.HostListener(udsPath, port);
        File.Delete(path);
        var file = new FileStream(target, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(4);
        }
        catch
        {
            listener.Dispose();
            file.Dispose();
            throw;
        }
        return new VsockStreamRelay(listener, path, file);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (_connections)
                _connections.Add(CopyAsync(connection));
        }
    }

    private async Task CopyAsync(Socket connection)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await connection.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                    return;
                await _writing.WaitAsync(_stop.Token);
                try
                {
                    await _file.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                    await _file.FlushAsync(_stop.Token);
                }
                finally
                {
                    _writing.Release();
                }
                Interlocked.Add(ref _received, read);
            }
        }
        catch (Exception e)
            when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException) { }
        finally
        {
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting;
        Task[] connections;
        lock (_connections)
            connections = [.. _connections];
        await Task.WhenAll(connections);
        await _file.DisposeAsync();
        File.Delete(_listenerPath);
        _stop.Dispose();
        _writing.Dispose();
    }
}
