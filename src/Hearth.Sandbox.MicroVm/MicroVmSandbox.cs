using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// One task's VM, started by this agent or recovered from an earlier one. Its monitor (<see cref="VmMonitor"/>) runs
/// QEMU and records the end; the guest writes the command's output through virtio-serial ports straight into the
/// sandbox's files, followed from a byte offset like every driver's (<see cref="OutputTail"/>). Signals go into the
/// guest over the control port; the power is cut (QEMU killed) after a stop's grace. Dispose removes the VM, its
/// overlay disk, socket and logs (the scratch directory) and its records.
/// </summary>
internal sealed class MicroVmSandbox : ISandbox
{
    private static readonly TimeSpan StuckMonitor = TimeSpan.FromSeconds(30);

    private readonly ISandboxProcess _monitor;
    private readonly MicroVmHandle _state;
    private readonly GuestChannel _channel;
    private readonly SandboxFiles _files;
    private readonly SerializedOutput _output;
    private readonly LauncherOptions _launcher;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SemaphoreSlim _exec = new(1, 1);
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdout;
    private readonly Task _stderr;
    private readonly Task<SandboxExit> _completion;
    private DateTimeOffset? _exitedAt;
    private int _disposed;

    public MicroVmSandbox(ISandboxProcess monitor, MicroVmHandle state, GuestChannel channel, SandboxFiles files, ISandboxOutput output,
        OutputCursor from, LauncherOptions launcher, TimeProvider time)
    {
        _monitor = monitor;
        _state = state;
        _channel = channel;
        _files = files;
        _output = new SerializedOutput(output);
        _launcher = launcher;
        _time = time;
        Handle = state.ToHandle();
        _stdout = new OutputTail(files, OutputStream.Stdout, from.Stdout, launcher.MaxLineBytes, _output, time).RunAsync(_ended.Task, _lifetime.Token);
        _stderr = new OutputTail(files, OutputStream.Stderr, from.Stderr, launcher.MaxLineBytes, _output, time).RunAsync(_ended.Task, _lifetime.Token);
        _completion = CompleteAsync();
    }

    public SandboxHandle Handle { get; private set; }

    /// <summary>The monitor's pid.</summary>
    public int Pid => _monitor.Pid;

    internal bool MonitorExited => _monitor.HasExited;

    internal MicroVmHandle State => _state;

    internal GuestChannel Channel => _channel;

    /// <summary>The handle once QEMU's pid is known (it writes its pid file early in its start).</summary>
    internal void Update(MicroVmHandle state) => Handle = state.ToHandle();

    /// <summary>The guest has started the command (it says so on its status port).</summary>
    internal bool CommandStarted() => StatusSays("\"started\"");

    /// <summary>The guest init waits for its task (a warm pool's VM is ready).</summary>
    internal bool WaitsForTask() => StatusSays("\"ready\"");

    private bool StatusSays(string word)
    {
        try
        {
            return File.ReadAllText(_files.StatusPath).Contains(word, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>What goes after QEMU when the VM is destroyed (its tap and address on the bridge, its cgroup), in order.</summary>
    internal IReadOnlyList<Func<Task>> Teardown { get; set; } = [];

    /// <summary>
    /// Runs once the VM has ended and its output is drained, before the exit is known to the caller (the workspace disk
    /// read back into the host directory). A failure fails the wait with an <see cref="IOException"/>.
    /// </summary>
    internal Func<Task>? AfterExit { get; set; }

    /// <summary>Raised once when the VM has been destroyed.</summary>
    internal event Action? Released;

    public async Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        if (_completion.IsCompleted) return;
        try
        {
            await _channel.SendAsync("signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n", () => _monitor.HasExited, _time,
                cancellationToken);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            if (!_monitor.HasExited) throw new IOException($"cannot signal VM {_state.SandboxId}: {e.Message}", e);
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

    /// <summary>
    /// Runs <paramref name="command"/> in the guest beside the task's command (its environment, working directory and
    /// user), one exec at a time: its output comes over the exec ports and is delivered when it ends, with its exit code.
    /// A cancelled exec is killed in the guest.
    /// </summary>
    public async Task<SandboxExit> ExecAsync(IReadOnlyList<string> command, ISandboxOutput output, CancellationToken cancellationToken)
    {
        if (command.Count == 0) throw new ArgumentException("an exec needs a command", nameof(command));
        if (_completion.IsCompleted) throw new SandboxCapabilityException($"VM {_state.SandboxId} has ended: nothing to exec into");
        await _exec.WaitAsync(cancellationToken);
        try
        {
            var layout = new VmLayout(_state.Scratch);
            var stdoutFrom = LengthOf(layout.ExecStdout);
            var stderrFrom = LengthOf(layout.ExecStderr);
            var id = Guid.NewGuid().ToString("N")[..12];
            var request = "exec " + id + " " + string.Join(' ', command.Select(a => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(a)))) + "\n";
            await _channel.SendAsync(request, () => _monitor.HasExited, _time, cancellationToken);
            int? code;
            while ((code = ExecExitCode(layout.ExecStatus, id)) is null)
            {
                if (_monitor.HasExited) throw new IOException($"VM {_state.SandboxId} ended during the exec");
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(25), _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await KillExecAsync(id);
                    throw;
                }
            }
            await DeliverAsync(layout.ExecStdout, stdoutFrom, OutputStream.Stdout, output, cancellationToken);
            await DeliverAsync(layout.ExecStderr, stderrFrom, OutputStream.Stderr, output, cancellationToken);
            return new SandboxExit(code.Value, code is > 128 and <= 192 ? code - 128 : null);
        }
        finally
        {
            _exec.Release();
        }
    }

    private async Task KillExecAsync(string id)
    {
        try
        {
            await _channel.SendAsync("exec-kill " + id + "\n", () => _monitor.HasExited, _time, CancellationToken.None);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        {
        }
    }

    private static long LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static int? ExecExitCode(string statusPath, string id)
    {
        if (!File.Exists(statusPath)) return null;
        var marker = "{\"exec\": \"" + id + "\", \"exit-code\": ";
        foreach (var line in File.ReadLines(statusPath))
        {
            if (line.StartsWith(marker, StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(marker.Length).TrimEnd('}'), System.Globalization.CultureInfo.InvariantCulture, out var code))
                return code;
        }
        return null;
    }

    /// <summary>The bytes an exec wrote to <paramref name="path"/> after <paramref name="from"/>, cut into lines.</summary>
    private async Task DeliverAsync(string path, long from, OutputStream stream, ISandboxOutput output, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return;
        byte[] bytes;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            file.Seek(from, SeekOrigin.Begin);
            using var copy = new MemoryStream();
            await file.CopyToAsync(copy, cancellationToken);
            bytes = copy.ToArray();
        }
        await new LineReader(new MemoryStream(bytes), _launcher.MaxLineBytes).ReadAllAsync(
            (text, continues, ct) => output.WriteAsync(new OutputPiece(stream, text, continues ? PieceEnd.Split : PieceEnd.Newline, 0), ct),
            cancellationToken);
    }

    public ValueTask<int> ReadOutputAsync(OutputStream stream, long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _files.ReadAsync(stream, offset, buffer, cancellationToken);

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => _completion.WaitAsync(cancellationToken);

    /// <summary>The signal goes to the command's process group in the guest; after <paramref name="grace"/> the power is cut.</summary>
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
        }
        PowerOff();
        await Task.WhenAny(_completion).WaitAsync(cancellationToken);
    }

    /// <summary>Kills QEMU (the monitor then records 137); the whole monitor session when QEMU's pid is not known.</summary>
    private void PowerOff()
    {
        if (_state.Qemu is { } qemu && qemu.IsAlive()) Native.Kill(qemu.Pid, Native.SigKill);
        else if (!_monitor.HasExited) Native.Kill(-_monitor.Pid, Native.SigKill);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_completion.IsCompleted) PowerOff();
        await Task.WhenAny(_completion, Task.Delay(StuckMonitor, _time));
        if (!_monitor.HasExited) Native.Kill(-_monitor.Pid, Native.SigKill);
        _lifetime.Cancel();
        await Task.WhenAll(_stdout, _stderr).ContinueWith(static _ => { }, TaskScheduler.Default);
        await _channel.DisposeAsync();
        var failures = new List<Exception>();
        foreach (var step in Teardown)
        {
            try
            {
                await step();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or TimeoutException
                                          or Hearth.Sandbox.Oci.Networking.NetworkSetupException or System.ComponentModel.Win32Exception)
            {
                failures.Add(e);
            }
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
        _monitor.Dispose();
        _output.Dispose();
        _lifetime.Dispose();
        Released?.Invoke();
        if (failures.Count > 0) throw new AggregateException($"VM {_state.SandboxId} cleanup left something behind", failures);
    }

    /// <summary>Undoes a start that failed or was cancelled: the VM is killed at once, then removed as on dispose.</summary>
    internal ValueTask AbortAsync()
    {
        if (!_monitor.HasExited) Native.Kill(-_monitor.Pid, Native.SigKill);
        return DisposeAsync();
    }

    /// <summary>Why a VM ended before its command ran: the end of QEMU's log and of the guest's console.</summary>
    internal string FailureTail()
    {
        var layout = new VmLayout(_state.Scratch);
        return string.Join(" | ", new[] { Tail(layout.QemuLog), Tail(layout.Console) }.Where(t => t.Length > 0));
    }

    private static string Tail(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).TakeLast(3);
            return string.Join(" / ", lines).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private async Task<SandboxExit> CompleteAsync()
    {
        try
        {
            await _monitor.Exited.ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A recovered monitor gone without a recorded exit: the VM's end is unknown; reported as killed.
        }
        finally
        {
            // QEMU is gone: nothing writes the output files any more.
            _exitedAt = _time.GetUtcNow();
            _ended.TrySetResult();
        }
        try
        {
            await Task.WhenAll(_stdout, _stderr).WaitAsync(_launcher.OutputDrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _lifetime.Cancel();
        }
        if (AfterExit is { } after)
        {
            try
            {
                await after().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"the VM's workspace could not be read back: {e.Message}", e);
            }
        }
        var code = _files.RecordedExitCode() ?? 137;
        int? signal = code is > 128 and <= 128 + 64 ? code - 128 : null;
        if (_output.Failure is { } failure) throw new IOException($"the sandbox's output sink failed: {failure.Message}", failure);
        return new SandboxExit(code, signal, code != 0 && GuestOomKilled());
    }

    /// <summary>The guest kernel's OOM killer says so on the console (an error-level message, printed under <c>quiet</c>).</summary>
    private bool GuestOomKilled()
    {
        try
        {
            return File.ReadAllText(new VmLayout(_state.Scratch).Console).Contains("Out of memory: Killed process", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
