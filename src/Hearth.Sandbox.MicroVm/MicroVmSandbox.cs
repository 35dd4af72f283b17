using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// One task's VM, started by this agent or recovered from an earlier one. Its monitor (<see cref="VmMonitor"/>) runs
/// QEMU and records the end; the guest writes the command's output through virtio-serial ports straight into the
/// sandbox's files, followed from a byte offset like every driver's (<see cref="OutputTail"/>). Signals go into the
/// guest over the control port; the power is cut (QEMU killed) after a stop's grace. Dispose removes the VM, its
/// overlay disk, socket and logs (the scratch directory) and its records.
/// </summary>
internal sealed class MicroVmSandbox : MonitoredSandbox
{
    private readonly ISandboxProcess _monitor;
    private readonly MicroVmHandle _state;
    private readonly GuestChannel _channel;
    private readonly SemaphoreSlim _exec = new(1, 1);
    private SandboxHandle _handle;

    public MicroVmSandbox(
        ISandboxProcess monitor,
        MicroVmHandle state,
        GuestChannel channel,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        LauncherOptions launcher,
        TimeProvider time
    )
        : base(files, output, from, state.StartedAt, launcher, time)
    {
        _monitor = monitor;
        _state = state;
        _channel = channel;
        _handle = state.ToHandle();
        Monitor();
    }

    public override SandboxHandle Handle => _handle;

    /// <summary>The monitor's pid.</summary>
    public override int Pid => _monitor.Pid;

    internal bool MonitorExited => _monitor.HasExited;

    internal MicroVmHandle State => _state;

    internal GuestChannel Channel => _channel;

    /// <summary>The handle once QEMU's pid is known (it writes its pid file early in its start).</summary>
    internal void Update(MicroVmHandle state) => _handle = state.ToHandle();

    /// <summary>The guest has started the command (it says so on its status port).</summary>
    internal bool CommandStarted() => StatusSays("\"started\"");

    /// <summary>The guest init waits for its task (a warm pool's VM is ready).</summary>
    internal bool WaitsForTask() => StatusSays("\"ready\"");

    private bool StatusSays(string word)
    {
        try
        {
            return File.ReadAllText(Files.StatusPath).Contains(word, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// What goes after QEMU when the VM is destroyed (its tap and address on the bridge, its cgroup), in order.
    /// </summary>
    internal IReadOnlyList<Func<Task>> Teardown { get; set; } = [];

    /// <summary>
    /// Runs once the VM has ended and its output is drained, before the exit is known to the caller (the workspace disk
    /// read back into the host directory). A failure fails the wait with an <see cref="IOException"/>.
    /// </summary>
    internal Func<Task>? AfterExit { get; set; }

    /// <summary>Raised once when the VM has been destroyed.</summary>
    internal event Action? Released;

    public override async Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        if (Ended)
            return;
        try
        {
            await _channel.SendAsync(
                "signal " + signal.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n",
                () => _monitor.HasExited,
                Time,
                cancellationToken
            );
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            if (!_monitor.HasExited)
                throw new IOException($"cannot signal VM {_state.SandboxId}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> in the guest beside the task's command (its environment, working directory and
    /// user), one exec at a time: its output comes over the exec ports and is delivered when it ends, with its exit
    /// code. A cancelled exec is killed in the guest.
    /// </summary>
    public override async Task<SandboxExit> ExecAsync(
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken cancellationToken
    )
    {
        if (command.Count == 0)
            throw new ArgumentException("an exec needs a command", nameof(command));
        if (Ended)
            throw new SandboxCapabilityException($"VM {_state.SandboxId} has ended: nothing to exec into");
        await _exec.WaitAsync(cancellationToken);
        try
        {
            var layout = new VmLayout(_state.Scratch);
            var stdoutFrom = LengthOf(layout.ExecStdout);
            var stderrFrom = LengthOf(layout.ExecStderr);
            var id = Guid.NewGuid().ToString("N")[..12];
            var request =
                "exec "
                + id
                + " "
                + string.Join(' ', command.Select(a => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(a))))
                + "\n";
            await _channel.SendAsync(request, () => _monitor.HasExited, Time, cancellationToken);
            int? code;
            while ((code = ExecExitCode(layout.ExecStatus, id)) is null)
            {
                if (_monitor.HasExited)
                    throw new IOException($"VM {_state.SandboxId} ended during the exec");
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(25), Time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    await KillExecAsync(id);
                    throw;
                }
            }
            await DeliverAsync(layout.ExecStdout, stdoutFrom, OutputStream.Stdout, output, cancellationToken);
            await DeliverAsync(layout.ExecStderr, stderrFrom, OutputStream.Stderr, output, cancellationToken);
            return ExitOf(code.Value);
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
            await _channel.SendAsync("exec-kill " + id + "\n", () => _monitor.HasExited, Time, CancellationToken.None);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException)
        { }
    }

    private static long LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static int? ExecExitCode(string statusPath, string id)
    {
        if (!File.Exists(statusPath))
            return null;
        var marker = "{\"exec\": \"" + id + "\", \"exit-code\": ";
        foreach (var line in File.ReadLines(statusPath))
        {
            if (
                line.StartsWith(marker, StringComparison.Ordinal)
                && int.TryParse(
                    line.AsSpan(marker.Length).TrimEnd('}'),
                    System.Globalization.CultureInfo.InvariantCulture,
                    out var code
                )
            )
                return code;
        }
        return null;
    }

    /// <summary>
    /// The bytes an exec wrote to <paramref name="path"/> after <paramref name="from"/>, cut into lines.
    /// </summary>
    private async Task DeliverAsync(
        string path,
        long from,
        OutputStream stream,
        ISandboxOutput output,
        CancellationToken cancellationToken
    )
    {
        if (!File.Exists(path))
            return;
        byte[] bytes;
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            file.Seek(from, SeekOrigin.Begin);
            using var copy = new MemoryStream();
            await file.CopyToAsync(copy, cancellationToken);
            bytes = copy.ToArray();
        }
        await new LineReader(new MemoryStream(bytes), Launcher.MaxLineBytes).ReadAllAsync(
            (text, continues, ct) =>
                output.WriteAsync(new OutputPiece(stream, text, continues ? PieceEnd.Split : PieceEnd.Newline, 0), ct),
            cancellationToken
        );
    }

    /// <summary>
    /// The signal goes to the command's process group in the guest; after <paramref name="grace"/> the power is cut.
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
            return await EndsWithinAsync(grace, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            return false;
        }
    }

    protected override Task KillAsync(CancellationToken cancellationToken)
    {
        PowerOff();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Kills QEMU (the monitor then records 137); the whole monitor session when QEMU's pid is not known.
    /// </summary>
    private void PowerOff()
    {
        if (_state.Qemu is { } qemu && qemu.IsAlive())
            Native.Kill(qemu.Pid, Native.SigKill);
        else if (!_monitor.HasExited)
            Native.Kill(-_monitor.Pid, Native.SigKill);
    }

    protected override async Task EndForDisposeAsync(List<Exception> failures)
    {
        if (!Ended)
            PowerOff();
        await EndedOrStuckAsync();
        if (!_monitor.HasExited)
            Native.Kill(-_monitor.Pid, Native.SigKill);
    }

    protected override async Task ReleaseAsync(List<Exception> failures)
    {
        await _channel.DisposeAsync();
        foreach (var step in Teardown)
        {
            try
            {
                await step();
            }
            catch (Exception e)
                when (e
                        is IOException
                            or UnauthorizedAccessException
                            or TimeoutException
                            or Hearth.Sandbox.Oci.Networking.NetworkSetupException
                            or System.ComponentModel.Win32Exception
                )
            {
                failures.Add(e);
            }
        }
        Attempt(() => ScratchDirectory.Reopen(_state.Scratch, owned: true).Delete(), failures);
        Attempt(Files.Delete, failures);
        _monitor.Dispose();
        Released?.Invoke();
    }

    protected override string CleanupFailure => $"VM {_state.SandboxId} cleanup left something behind";

    /// <summary>
    /// Undoes a start that failed or was cancelled: the VM is killed at once, then removed as on dispose.
    /// </summary>
    internal ValueTask AbortAsync()
    {
        if (!_monitor.HasExited)
            Native.Kill(-_monitor.Pid, Native.SigKill);
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

    protected override async Task<int?> WaitForEndAsync(CancellationToken lifetime)
    {
        try
        {
            await _monitor.Exited.ConfigureAwait(false);
        }
        catch (IOException)
        {
            // A recovered monitor gone without a recorded exit: the VM's end is unknown; reported as killed.
        }
        // QEMU is gone: nothing writes the output files any more.
        return null;
    }

    protected override async Task<SandboxExit> ReadExitAsync(int? code)
    {
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
        var recorded = Files.RecordedExitCode() ?? 137;
        return ExitOf(recorded, recorded != 0 && GuestOomKilled());
    }

    /// <summary>
    /// The guest kernel's OOM killer says so on the console (an error-level message, printed under <c>quiet</c>).
    /// </summary>
    private bool GuestOomKilled()
    {
        try
        {
            return File.ReadAllText(new VmLayout(_state.Scratch).Console)
                .Contains("Out of memory: Killed process", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
