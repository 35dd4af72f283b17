using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// Firecracker's vsock device as its host side behaves (the Vsock definition in firecracker.yaml and
/// docs/vsock.md): it listens on <c>uds_path</c>, takes <c>CONNECT PORT\n</c> and answers <c>OK HOSTPORT\n</c> when a
/// guest process listens on PORT (else closes), and forwards a guest's connection to the host's port P by connecting
/// to <c>uds_path_P</c>. Behind it, a guest that speaks Hearth's guest protocol as Guest/guest-init.sh does on its
/// vsock channel: it listens on port 1000 for the task's frames, connects to 1001–1003 for stdout, stderr and status,
/// writes <c>{"started": PID}</c> and, once the test's script has run, closes its streams and writes the exit code.
/// </summary>
public sealed class FakeVsockGuest : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly Func<GuestTask, GuestIo, Task<int>> _script;
    private int _hostPort = 1 << 30;

    private FakeVsockGuest(string udsPath, Socket listener, Func<GuestTask, GuestIo, Task<int>> script)
    {
        UdsPath = udsPath;
        _listener = listener;
        _script = script;
        _accepting = AcceptAsync();
    }

    public string UdsPath { get; }

    /// <summary>
    /// Whether the guest listens on its control port yet (a CONNECT before that is refused, as in a booting guest).
    /// </summary>
    public bool Listening { get; set; } = true;

    /// <summary>Every CONNECT line the device was sent.</summary>
    public ConcurrentQueue<string> Connects { get; } = new();

    public TaskCompletionSource<GuestTask> Received { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<int> Signals { get; } = new();

    public TaskCompletionSource<int> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static FakeVsockGuest Start(string udsPath, Func<GuestTask, GuestIo, Task<int>> script)
    {
        File.Delete(udsPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(udsPath));
        listener.Listen(8);
        return new FakeVsockGuest(udsPath, listener, script);
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
            _ = Task.Run(() => HostConnectionAsync(connection));
        }
    }

    private async Task HostConnectionAsync(Socket connection)
    {
        using var stream = new NetworkStream(connection, ownsSocket: true);
        var line = await ReadLineAsync(stream);
        if (line is null)
            return;
        Connects.Enqueue(line);
        if (line != "CONNECT 1000" || !Listening)
            return;
        var port = Interlocked.Increment(ref _hostPort);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("OK " + port.ToString(CultureInfo.InvariantCulture) + "\n"));
        var task = new GuestTask();
        while (await ReadLineAsync(stream) is { } frame)
        {
            var parts = frame.Split(' ', 2);
            if (parts[0] == "run")
                break;
            if (parts[0] == "signal")
            {
                Signals.Enqueue(int.Parse(parts[1], CultureInfo.InvariantCulture));
                continue;
            }
            task.Frames.Add((parts[0], Encoding.UTF8.GetString(Convert.FromBase64String(parts[1]))));
        }
        if (task.Frames.Count == 0)
        {
            // A reconnection after the task was sent: only signals follow.
            return;
        }
        Received.TrySetResult(task);
        _ = Task.Run(() => RunAsync(task));
        while (await ReadLineAsync(stream) is { } frame)
        {
            var parts = frame.Split(' ', 2);
            if (parts[0] == "signal")
                Signals.Enqueue(int.Parse(parts[1], CultureInfo.InvariantCulture));
        }
    }

    private async Task RunAsync(GuestTask task)
    {
        try
        {
            await using var io = await GuestIo.ConnectAsync(this);
            await io.StatusAsync("{\"started\": 42}\n");
            var code = await _script(task, io);
            await io.CloseOutputAsync();
            await io.StatusAsync("{\"exit-code\": " + code.ToString(CultureInfo.InvariantCulture) + "}\n");
            Finished.TrySetResult(code);
        }
        catch (Exception e)
        {
            Finished.TrySetException(e);
        }
    }

    /// <summary>What Firecracker does for a guest's connection to the host's <paramref name="port"/>.</summary>
    internal async Task<NetworkStream> ConnectToHostAsync(uint port)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(
            new UnixDomainSocketEndPoint(UdsPath + "_" + port.ToString(CultureInfo.InvariantCulture))
        );
        return new NetworkStream(socket, ownsSocket: true);
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(one);
            }
            catch (IOException)
            {
                return null;
            }
            if (read == 0)
                return line.Count > 0 ? Encoding.UTF8.GetString([.. line]) : null;
            if (one[0] == '\n')
                return Encoding.UTF8.GetString([.. line]);
            line.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _accepting;
        File.Delete(UdsPath);
    }
}

/// <summary>The task the guest was sent: its frames in order (kind, decoded value).</summary>
public sealed class GuestTask
{
    public List<(string Kind, string Value)> Frames { get; } = [];

    public IEnumerable<string> All(string kind) => Frames.Where(f => f.Kind == kind).Select(f => f.Value);
}

/// <summary>The guest's three connections to the host (stdout, stderr, status).</summary>
public sealed class GuestIo : IAsyncDisposable
{
    private readonly FakeVsockGuest _device;
    private NetworkStream? _stdout;
    private NetworkStream? _stderr;
    private NetworkStream _status;

    private GuestIo(FakeVsockGuest device, NetworkStream stdout, NetworkStream stderr, NetworkStream status)
    {
        _device = device;
        _stdout = stdout;
        _stderr = stderr;
        _status = status;
    }

    internal static async Task<GuestIo> ConnectAsync(FakeVsockGuest device) =>
        new(
            device,
            await device.ConnectToHostAsync(1001),
            await device.ConnectToHostAsync(1002),
            await device.ConnectToHostAsync(1003)
        );

    public Task StdoutAsync(string text) => _stdout!.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    public Task StderrAsync(string text) => _stderr!.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    public Task StatusAsync(string text) => _status.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    /// <summary>As the guest's relays do after an agent restart: connect again (to whoever listens now).</summary>
    public async Task ReconnectAsync()
    {
        await DisposeStreamsAsync();
        _stdout = await _device.ConnectToHostAsync(1001);
        _stderr = await _device.ConnectToHostAsync(1002);
        _status = await _device.ConnectToHostAsync(1003);
    }

    public async Task CloseOutputAsync()
    {
        if (_stdout is not null)
            await _stdout.DisposeAsync();
        if (_stderr is not null)
            await _stderr.DisposeAsync();
        _stdout = _stderr = null;
    }

    private async Task DisposeStreamsAsync()
    {
        await CloseOutputAsync();
        await _status.DisposeAsync();
    }

    public ValueTask DisposeAsync() => new(DisposeStreamsAsync());
}
