using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// One task's VM on a vsock backend (Firecracker, Flintlock). The guest protocol is the QEMU backend's, carried over
/// vsock: control frames and signals go to the guest's port 1000 (<see cref="GuestChannel"/> with the
/// <c>CONNECT</c> handshake); the guest connects back on ports 1001–1003, which <see cref="VsockStreamRelay"/>s append
/// to the sandbox's stdout, stderr and status files, followed from a byte offset like every driver's. The task has
/// ended once the guest recorded an exit code (and closed its output streams) or the VM is gone (137, as for a killed
/// process). Dispose powers the VM off if it still runs, removes it from its backend, and deletes the scratch directory
/// and the records.
/// </summary>
internal sealed class VsockVmSandbox : ISandbox
{
    private readonly VsockVmHandle _state;
    private readonly IVmInstance _vm;
    private readonly GuestChannel _channel;
    private readonly IReadOnlyList<VsockStreamRelay> _relays;
    private readonly SandboxFiles _files;
    private readonly SerializedOutput _output;
    private readonly LauncherOptions _launcher;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdout;
    private readonly Task _stderr;
    private readonly Task<SandboxExit> _completion;
    private DateTimeOffset? _exitedAt;
    private int _disposed;

    private VsockVmSandbox(VsockVmHandle state, IVmInstance vm, GuestChannel channel, IReadOnlyList<VsockStreamRelay> relays,
        SandboxFiles files, ISandboxOutput output, OutputCursor from, LauncherOptions launcher, TimeProvider time)
    {
        _state = state;
        _vm = vm;
        _channel = channel;
        _relays = relays;
        _files = files;
        _output = new SerializedOutput(output);
        _launcher = launcher;
        _time = time;
        Handle = state.ToHandle();
        _stdout = new OutputTail(files, OutputStream.Stdout, from.Stdout, launcher.MaxLineBytes, _output, time).RunAsync(_ended.Task, _lifetime.Token);
        _stderr = new OutputTail(files, OutputStream.Stderr, from.Stderr, launcher.MaxLineBytes, _output, time).RunAsync(_ended.Task, _lifetime.Token);
        _completion = CompleteAsync();
    }

    /// <summary>
    /// Listens for the guest's streams (before the VM boots, so its first connection finds them) and follows them;
    /// without <paramref name="listen"/> (a destroy from a handle) only the VM and the files are taken.
    /// </summary>
    public static VsockVmSandbox Attach(VsockVmHandle state, IVmInstance vm, SandboxFiles files, ISandboxOutput output, OutputCursor from,
        LauncherOptions launcher, TimeProvider time, bool listen = true)
    {
        var relays = new List<VsockStreamRelay>();
        if (listen)
        {
            AddRelays(state, files, relays);
        }
        return new VsockVmSandbox(state, vm, new GuestChannel(state.VsockPath, VsockPorts.Control), relays, files, output, from, launcher, time);
    }

    private static void AddRelays(VsockVmHandle state, SandboxFiles files, List<VsockStreamRelay> relays)
    {
        try
        {
            relays.Add(VsockStreamRelay.Listen(state.VsockPath, VsockPorts.Stdout, files.PathOf(OutputStream.Stdout)));
            relays.Add(VsockStreamRelay.Listen(state.VsockPath, VsockPorts.Stderr, files.PathOf(OutputStream.Stderr)));
            relays.Add(VsockStreamRelay.Listen(state.VsockPath, VsockPorts.Status, files.StatusPath));
        }
        catch
        {
            foreach (var relay in relays) relay.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public SandboxHandle Handle { get; }

    public int Pid => _vm.Pid;

    internal GuestChannel Channel => _channel;

    internal bool Ended => _completion.IsCompleted;

    /// <summary>The guest has started the command (it says so on its status port).</summary>
    internal bool CommandStarted() => File.Exists(_files.StatusPath) && File.ReadAllText(_files.StatusPath).Contains("\"started\"", StringComparison.Ordinal);

    /// <summary>Sends the task's frames once the guest listens on its control port, then waits until it runs the command.</summary>
    internal async Task SendTaskAsync(string frames, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var boot = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        boot.CancelAfter(timeout);
        try
        {
            await _channel.ConnectAsync(() => _completion.IsCompleted, _time, boot.Token);
            await _channel.SendAsync(frames, boot.Token);
            while (!CommandStarted())
            {
                if (_completion.IsCompleted && !CommandStarted())
                    throw new SandboxStartException($"the VM ended before its command ran ({_state.Backend}): {_vm.FailureTail()}");
                await Task.Delay(TimeSpan.FromMilliseconds(25), _time, boot.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxStartException($"the VM did not start its command within {timeout} ({_state.Backend}): {_vm.FailureTail()}");
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new SandboxStartException($"the VM's guest channel failed ({_state.Backend}): {e.Message} {_vm.FailureTail()}");
        }
    }

    public async Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        if (_completion.IsCompleted) return;
        try
        {
            await _channel.SendAsync("signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
                () => _completion.IsCompleted, _time, cancellationToken);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_completion.IsCompleted && !cancellationToken.IsCancellationRequested)
                throw new IOException($"cannot signal VM {_state.SandboxId}: {e.Message}", e);
            if (cancellationToken.IsCancellationRequested) throw;
        }
    }

    public Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = _completion.IsCompleted;
        return Task.FromResult(new SandboxStatus(done ? SandboxPhase.Exited : SandboxPhase.Running, Pid, _state.StartedAt, _exitedAt,
            _completion.IsCompletedSuccessfully ? _completion.Result : null, null,
            _files.Length(OutputStream.Stdout), _files.Length(OutputStream.Stderr)));
    }

    public Task<SandboxExit> ExecAsync(IReadOnlyList<string> command, ISandboxOutput output, CancellationToken cancellationToken) =>
        throw new SandboxCapabilityException($"the microvm driver's {_state.Backend} backend cannot exec into a running VM");

    public ValueTask<int> ReadOutputAsync(OutputStream stream, long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _files.ReadAsync(stream, offset, buffer, cancellationToken);

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => _completion.WaitAsync(cancellationToken);

    /// <summary>The signal into the guest, then after <paramref name="grace"/> a shutdown request and, failing that, the power.</summary>
    public async Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_completion.IsCompleted) return;
        if (signal != StopSignal.Kill)
        {
            try
            {
                await SignalAsync((int)signal, cancellationToken);
                await Task.WhenAny(_completion).WaitAsync(grace, _time, cancellationToken);
                return;
            }
            catch (Exception e) when (e is TimeoutException or IOException)
            {
            }
            var shutdown = await _vm.RequestShutdownAsync(cancellationToken);
            if (shutdown > TimeSpan.Zero)
            {
                try
                {
                    await Task.WhenAny(_completion).WaitAsync(shutdown, _time, cancellationToken);
                    return;
                }
                catch (TimeoutException)
                {
                }
            }
        }
        await _vm.PowerOffAsync(cancellationToken);
        await Task.WhenAny(_completion).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        var failures = new List<Exception>();
        try
        {
            if (!_completion.IsCompleted) await _vm.PowerOffAsync(CancellationToken.None);
            await Task.WhenAny(_completion, Task.Delay(TimeSpan.FromSeconds(30), _time));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or SandboxStartException)
        {
            failures.Add(e);
        }
        _lifetime.Cancel();
        await Task.WhenAll(_stdout, _stderr).ContinueWith(static _ => { }, TaskScheduler.Default);
        await _channel.DisposeAsync();
        foreach (var relay in _relays) await relay.DisposeAsync();
        try
        {
            await _vm.RemoveAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            failures.Add(e);
        }
        foreach (var remove in new Action[] { () => ScratchDirectory.Reopen(_state.Scratch, owned: true).Delete(), _files.Delete })
        {
            try
            {
                remove();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add(e);
            }
        }
        _output.Dispose();
        _lifetime.Dispose();
        if (failures.Count > 0) throw new AggregateException($"VM {_state.SandboxId} cleanup left something behind", failures);
    }

    /// <summary>Undoes a start that failed or was cancelled: the VM's power is cut, then it is removed as on dispose.</summary>
    internal async ValueTask AbortAsync()
    {
        try
        {
            await _vm.PowerOffAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // Dispose tries again and reports what is left.
        }
        await DisposeAsync();
    }

    private async Task<SandboxExit> CompleteAsync()
    {
        try
        {
            while (_files.RecordedExitCode() is null)
            {
                if (await _vm.GoneAsync(_lifetime.Token)) break;
                await Task.Delay(_vm.PollInterval, _time, _lifetime.Token);
            }
            // The guest closes its output streams before it records the exit code; wait for the relays to take it all.
            var drained = _time.GetUtcNow() + _launcher.OutputDrainTimeout;
            while (_relays.Take(2).Any(r => r.Busy) && _time.GetUtcNow() < drained && !await _vm.GoneAsync(_lifetime.Token))
                await Task.Delay(TimeSpan.FromMilliseconds(20), _time, _lifetime.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Disposed, or the backend cannot be asked any more: the VM's end is unknown; reported as killed.
        }
        _exitedAt = _time.GetUtcNow();
        _ended.TrySetResult();
        try
        {
            await Task.WhenAll(_stdout, _stderr).WaitAsync(_launcher.OutputDrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _lifetime.Cancel();
        }
        var code = _files.RecordedExitCode() ?? 137;
        int? signal = code is > 128 and <= 128 + 64 ? code - 128 : null;
        if (_output.Failure is { } failure) throw new IOException($"the sandbox's output sink failed: {failure.Message}", failure);
        return new SandboxExit(code, signal);
    }
}
