using System.Globalization;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// One container, started by this agent or recovered from an earlier one. Its monitor (<see cref="OciMonitor"/>) runs
/// <c>runtime run</c> in the foreground and records the exit; the container writes its output straight into the
/// sandbox's files, which are followed from a byte offset (the host drivers' <see cref="OutputTail"/>). Signals go
/// through <c>runtime kill</c>; dispose deletes the container, releases what the sandbox made
/// (<see cref="OciResources"/>) and removes its records.
/// </summary>
internal sealed class OciSandbox : MonitoredSandbox
{
    private readonly ISandboxProcess _monitor;
    private readonly OciHandle _state;
    private readonly RuntimeCommand _runtime;
    private readonly CgroupSupport _cgroups;
    private readonly OciResources _resources;

    public OciSandbox(
        ISandboxProcess monitor,
        OciHandle state,
        RuntimeCommand runtime,
        CgroupSupport cgroups,
        OciResources resources,
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
        _runtime = runtime;
        _cgroups = cgroups;
        _resources = resources;
        Handle = state.ToHandle();
        Monitor();
    }

    public override SandboxHandle Handle { get; }

    public override IReadOnlyList<SandboxAddress> Addresses => _state.Addresses;

    /// <summary>The monitor's pid.</summary>
    public override int Pid => _monitor.Pid;

    internal bool MonitorExited => _monitor.HasExited;

    public override Task SignalAsync(int signal, CancellationToken cancellationToken) =>
        Ended
            ? Task.CompletedTask
            : _runtime.RunAsync(
                cancellationToken,
                "kill",
                _state.ContainerId,
                signal.ToString(CultureInfo.InvariantCulture)
            );

    protected override SandboxUsage? ReadUsage() => new(_cgroups.ReadMemoryUsage(_state.CgroupsPath), null, null);

    /// <summary>
    /// <c>runtime exec</c>: the command joins the container's namespaces and cgroups, with the image's environment.
    /// </summary>
    public override Task<SandboxExit> ExecAsync(
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken cancellationToken
    )
    {
        if (command.Count == 0)
            throw new ArgumentException("the command is empty", nameof(command));
        if (Ended)
            throw new InvalidOperationException($"sandbox {_state.ContainerId} has exited");
        IReadOnlyList<string> argv =
        [
            _runtime.Runtime,
            "--root",
            _runtime.StateRoot,
            "exec",
            _state.ContainerId,
            .. command,
        ];
        var path = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? SandboxEnvironment.DefaultPath,
        };
        return HostExec.RunAsync(argv, path, output, Launcher.MaxLineBytes, cancellationToken);
    }

    protected override async Task<bool> AskToStopAsync(
        StopSignal signal,
        TimeSpan grace,
        CancellationToken cancellationToken
    )
    {
        await SignalAsync((int)signal, cancellationToken);
        return await EndsWithinAsync(grace, cancellationToken);
    }

    protected override Task KillAsync(CancellationToken cancellationToken) =>
        SignalAsync((int)StopSignal.Kill, cancellationToken);

    protected override async Task EndForDisposeAsync(List<Exception> failures)
    {
        if (!Ended)
        {
            using var timeout = new CancellationTokenSource(StuckMonitor, Time);
            try
            {
                await StopAsync(StopSignal.Kill, TimeSpan.Zero, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The container did not die of `runtime kill` (or was never made): end its monitor's session instead.
                if (!_monitor.HasExited)
                    Native.Kill(-_monitor.Pid, Native.SigKill);
            }
        }
        await EndedOrStuckAsync();
    }

    protected override async Task ReleaseAsync(List<Exception> failures)
    {
        try
        {
            // `run` removes its container at exit unless it was kept (or the monitor died first).
            if (Directory.Exists(Path.Combine(_runtime.StateRoot, _state.ContainerId)))
            {
                var (code, error) = await _runtime.RunAsync(
                    CancellationToken.None,
                    "delete",
                    "--force",
                    _state.ContainerId
                );
                if (code != 0 && Directory.Exists(Path.Combine(_runtime.StateRoot, _state.ContainerId)))
                    failures.Add(
                        new IOException($"{_runtime.Runtime} delete --force {_state.ContainerId} failed: {error}")
                    );
            }
            await _resources.ReleaseAsync();
            // A runtime killed while it made the container (a cancelled start) leaves its cgroups without a state
            // directory, so no `delete` removes them.
            foreach (var cgroup in Hearth.Sandbox.Reaping.SandboxCgroups.Existing(_state.CgroupsPath))
                await Hearth.Sandbox.Reaping.SandboxCgroups.RemoveTreeAsync(cgroup, Time, CancellationToken.None);
        }
        catch (IOException e)
        {
            failures.Add(e);
        }
        catch (AggregateException e)
        {
            failures.AddRange(e.InnerExceptions);
        }
        finally
        {
            Attempt(Files.Delete, failures);
            _monitor.Dispose();
        }
    }

    protected override string CleanupFailure => $"sandbox {_state.ContainerId} cleanup left something behind";

    /// <summary>
    /// Undoes a start that failed or was cancelled: the monitor's session (the shell and the runtime, which may still
    /// be making the container) is killed at once rather than asked, then everything is removed as on dispose.
    /// </summary>
    internal ValueTask AbortAsync()
    {
        if (!_monitor.HasExited)
            Native.Kill(-_monitor.Pid, Native.SigKill);
        return DisposeAsync();
    }

    /// <summary>The end of what was written to stderr (the runtime's own errors, for a start that failed).</summary>
    internal string ErrorTail()
    {
        const int TailBytes = 2048;
        var length = Files.Length(OutputStream.Stderr);
        var buffer = new byte[(int)Math.Min(length, TailBytes)];
        try
        {
            using var handle = File.OpenHandle(Files.PathOf(OutputStream.Stderr));
            var read = RandomAccess.Read(handle, buffer, length - buffer.Length);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    // The container's init is gone (and with it, its pid namespace) once its monitor has: nothing in it writes any
    // more.
    protected override async Task<int?> WaitForEndAsync(CancellationToken lifetime) =>
        await _monitor.Exited.ConfigureAwait(false);

    protected override async Task<SandboxExit> ReadExitAsync(int? code)
    {
        // A kept container (and its cgroup) stays until deleted, so its OOM counter can still be read; crun's OOM
        // parent is read through its watch, or, after a restart that lost the watch, through its own counter.
        var oomKills =
            _state.Kept ? _cgroups.ReadOomKills(_state.CgroupsPath)
            : _resources.OomWatch is null && _state.OomParent is { } parent ? _cgroups.ReadOomKills(parent)
            : 0;
        if (_state.Kept)
            await _runtime
                .RunAsync(CancellationToken.None, "delete", "--force", _state.ContainerId)
                .ConfigureAwait(false);
        var oomKilled = oomKills > 0 || _resources.OomWatch?.Fired() == true;
        return ExitOf(code ?? throw new InvalidOperationException("the monitor's end gave no exit code"), oomKilled);
    }
}
