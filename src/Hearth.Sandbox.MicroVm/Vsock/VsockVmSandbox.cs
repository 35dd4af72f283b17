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
internal sealed class VsockVmSandbox : MonitoredSandbox
{
    private readonly VsockVmHandle _state;
    private readonly IVmInstance _vm;
    private readonly GuestChannel _channel;
    private readonly IReadOnlyList<VsockStreamRelay> _relays;

    private VsockVmSandbox(
        VsockVmHandle state,
        IVmInstance vm,
        GuestChannel channel,
        IReadOnlyList<VsockStreamRelay> relays,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        LauncherOptions launcher,
        TimeProvider time
    )
        : base(files, output, from, state.StartedAt, launcher, time)
    {
        _state = state;
        _vm = vm;
        _channel = channel;
        _relays = relays;
        Handle = state.ToHandle();
        Monitor();
    }

    /// <summary>
    /// Listens for the guest's streams (before the VM boots, so its first connection finds them) and follows them;
    /// without <paramref name="listen"/> (a destroy from a handle) only the VM and the files are taken.
    /// </summary>
    public static VsockVmSandbox Attach(
        VsockVmHandle state,
        IVmInstance vm,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        LauncherOptions launcher,
        TimeProvider time,
        bool listen = true
    )
    {
        var relays = new List<VsockStreamRelay>();
        if (listen)
        {
            AddRelays(state, files, relays);
        }
        return new VsockVmSandbox(
            state,
            vm,
            new GuestChannel(state.VsockPath, VsockPorts.Control),
            relays,
            files,
            output,
            from,
            launcher,
            time
        );
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
            foreach (var relay in relays)
                relay.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    public override SandboxHandle Handle { get; }

    public override int Pid => _vm.Pid;

    internal GuestChannel Channel => _channel;

    /// <summary>The guest has started the command (it says so on its status port).</summary>
    internal bool CommandStarted() =>
        File.Exists(Files.StatusPath)
        && File.ReadAllText(Files.StatusPath).Contains("\"started\"", StringComparison.Ordinal);

    /// <summary>
    /// Sends the task's frames once the guest listens on its control port, then waits until it runs the command.
    /// </summary>
    internal async Task SendTaskAsync(string frames, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var boot = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        boot.CancelAfter(timeout);
        try
        {
            await _channel.ConnectAsync(() => Ended, Time, boot.Token);
            await _channel.SendAsync(frames, boot.Token);
            while (!CommandStarted())
            {
                if (Ended && !CommandStarted())
                    throw new SandboxStartException(
                        $"the VM ended before its command ran ({_state.Backend}): {_vm.FailureTail()}"
                    );
                await Task.Delay(TimeSpan.FromMilliseconds(25), Time, boot.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxStartException(
                $"the VM did not start its command within {timeout} ({_state.Backend}): {_vm.FailureTail()}"
            );
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new SandboxStartException(
                $"the VM's guest channel failed ({_state.Backend}): {e.Message} {_vm.FailureTail()}"
            );
        }
    }

    public override async Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        if (Ended)
            return;
        try
        {
            await _channel.SendAsync(
                "signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
                () => Ended,
                Time,
                cancellationToken
            );
        }
        catch (Exception e)
            when (e
                    is System.Net.Sockets.SocketException
                        or IOException
                        or ObjectDisposedException
                        or OperationCanceledException
            )
        {
            if (!Ended && !cancellationToken.IsCancellationRequested)
                throw new IOException($"cannot signal VM {_state.SandboxId}: {e.Message}", e);
            if (cancellationToken.IsCancellationRequested)
                throw;
        }
    }

    public override Task<SandboxExit> ExecAsync(
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken cancellationToken
    ) =>
        throw new SandboxCapabilityException(
            $"the microvm driver's {_state.Backend} backend cannot exec into a running VM"
        );

    /// <summary>
    /// The signal into the guest, then after <paramref name="grace"/> a shutdown request and, failing that, the power.
    /// </summary>
    protected override async Task<bool> AskToStopAsync(
        StopSignal signal,
        TimeSpan grace,
        CancellationToken cancellationToken
    )
    {
        try
        {
            await SignalAsync((int)signal, cancellationToken);
            if (await EndsWithinAsync(grace, cancellationToken))
                return true;
        }
        catch (Exception e) when (e is TimeoutException or IOException) { }
        var shutdown = await _vm.RequestShutdownAsync(cancellationToken);
        return shutdown > TimeSpan.Zero && await EndsWithinAsync(shutdown, cancellationToken);
    }

    protected override Task KillAsync(CancellationToken cancellationToken) => _vm.PowerOffAsync(cancellationToken);

    protected override async Task EndForDisposeAsync(List<Exception> failures)
    {
        try
        {
            if (!Ended)
                await _vm.PowerOffAsync(CancellationToken.None);
            await EndedOrStuckAsync();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or SandboxStartException)
        {
            failures.Add(e);
        }
    }

    protected override async Task ReleaseAsync(List<Exception> failures)
    {
        await _channel.DisposeAsync();
        foreach (var relay in _relays)
            await relay.DisposeAsync();
        try
        {
            await _vm.RemoveAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            failures.Add(e);
        }
        Attempt(() => ScratchDirectory.Reopen(_state.Scratch, owned: true).Delete(), failures);
        Attempt(Files.Delete, failures);
    }

    protected override string CleanupFailure => $"VM {_state.SandboxId} cleanup left something behind";

    /// <summary>
    /// Undoes a start that failed or was cancelled: the VM's power is cut, then it is removed as on dispose.
    /// </summary>
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

    protected override async Task<int?> WaitForEndAsync(CancellationToken lifetime)
    {
        try
        {
            while (Files.RecordedExitCode() is null)
            {
                if (await _vm.GoneAsync(lifetime))
                    break;
                await Task.Delay(_vm.PollInterval, Time, lifetime);
            }
            // The guest closes its output streams before it records the exit code; wait for the relays to take it all.
            var drained = Time.GetUtcNow() + Launcher.OutputDrainTimeout;
            while (_relays.Take(2).Any(r => r.Busy) && Time.GetUtcNow() < drained && !await _vm.GoneAsync(lifetime))
                await Task.Delay(TimeSpan.FromMilliseconds(20), Time, lifetime);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // Disposed, or the backend cannot be asked any more: the VM's end is unknown; reported as killed.
        }
        return null;
    }

    protected override Task<SandboxExit> ReadExitAsync(int? code) =>
        Task.FromResult(ExitOf(Files.RecordedExitCode() ?? 137));
}
