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
internal sealed class OciSandbox : ISandbox
{
    private static readonly TimeSpan StuckMonitor = TimeSpan.FromSeconds(30);

    private readonly ISandboxProcess _monitor;
    private readonly OciHandle _state;
    private readonly RuntimeCommand _runtime;
    private readonly CgroupSupport _cgroups;
    private readonly OciResources _resources;
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

    public OciSandbox(ISandboxProcess monitor, OciHandle state, RuntimeCommand runtime, CgroupSupport cgroups, OciResources resources,
        SandboxFiles files, ISandboxOutput output, OutputCursor from, LauncherOptions launcher, TimeProvider time)
    {
        _monitor = monitor;
        _state = state;
        _runtime = runtime;
        _cgroups = cgroups;
        _resources = resources;
        _files = files;
        _output = new SerializedOutput(output);
        _launcher = launcher;
        _time = time;
        Handle = state.ToHandle();
        _stdout = new OutputTail(files, OutputStream.Stdout, from.Stdout, launcher.MaxLineBytes, _output, time).RunAsync(_ended.Task, _lifetime.Token);
        _stderr = new OutputTail(files, OutputStream.Stderr, from.Stderr, launcher.MaxLineBytes, _output, time).RunAsync(_ended.Task, _lifetime.Token);
        _completion = CompleteAsync();
    }

    public SandboxHandle Handle { get; }

    public IReadOnlyList<SandboxAddress> Addresses => _state.Addresses;

    /// <summary>The monitor's pid.</summary>
    public int Pid => _monitor.Pid;

    internal bool MonitorExited => _monitor.HasExited;

    public Task SignalAsync(int signal, CancellationToken cancellationToken) =>
        _completion.IsCompleted ? Task.CompletedTask : _runtime.RunAsync(cancellationToken, "kill", _state.ContainerId, signal.ToString(CultureInfo.InvariantCulture));

    public Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = _completion.IsCompleted;
        var usage = done ? null : new SandboxUsage(_cgroups.ReadMemoryUsage(_state.CgroupsPath), null, null);
        return Task.FromResult(new SandboxStatus(done ? SandboxPhase.Exited : SandboxPhase.Running, Pid, _state.StartedAt, _exitedAt,
            _completion.IsCompletedSuccessfully ? _completion.Result : null, usage,
            _files.Length(OutputStream.Stdout), _files.Length(OutputStream.Stderr)));
    }

    /// <summary><c>runtime exec</c>: the command joins the container's namespaces and cgroups, with the image's environment.</summary>
    public Task<SandboxExit> ExecAsync(IReadOnlyList<string> command, ISandboxOutput output, CancellationToken cancellationToken)
    {
        if (command.Count == 0) throw new ArgumentException("the command is empty", nameof(command));
        if (_completion.IsCompleted) throw new InvalidOperationException($"sandbox {_state.ContainerId} has exited");
        IReadOnlyList<string> argv = [_runtime.Runtime, "--root", _runtime.StateRoot, "exec", _state.ContainerId, .. command];
        var path = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? SandboxEnvironment.DefaultPath };
        return HostExec.RunAsync(argv, path, output, _launcher.MaxLineBytes, cancellationToken);
    }

    public ValueTask<int> ReadOutputAsync(OutputStream stream, long offset, Memory<byte> buffer, CancellationToken cancellationToken) =>
        _files.ReadAsync(stream, offset, buffer, cancellationToken);

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => _completion.WaitAsync(cancellationToken);

    public async Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_completion.IsCompleted) return;
        await SignalAsync((int)signal, cancellationToken);
        if (signal != StopSignal.Kill)
        {
            try
            {
                await Task.WhenAny(_completion).WaitAsync(grace, _time, cancellationToken);
                return;
            }
            catch (TimeoutException)
            {
                await SignalAsync((int)StopSignal.Kill, cancellationToken);
            }
        }
        await Task.WhenAny(_completion).WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_completion.IsCompleted)
        {
            using var timeout = new CancellationTokenSource(StuckMonitor, _time);
            try
            {
                await StopAsync(StopSignal.Kill, TimeSpan.Zero, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The container did not die of `runtime kill` (or was never made): end its monitor's session instead.
                if (!_monitor.HasExited) Native.Kill(-_monitor.Pid, Native.SigKill);
            }
        }
        await Task.WhenAny(_completion, Task.Delay(StuckMonitor, _time));
        _lifetime.Cancel();
        await Task.WhenAll(_stdout, _stderr).ContinueWith(static _ => { }, TaskScheduler.Default);

        var failures = new List<Exception>();
        try
        {
            // `run` removes its container at exit unless it was kept (or the monitor died first).
            if (Directory.Exists(Path.Combine(_runtime.StateRoot, _state.ContainerId)))
            {
                var (code, error) = await _runtime.RunAsync(CancellationToken.None, "delete", "--force", _state.ContainerId);
                if (code != 0 && Directory.Exists(Path.Combine(_runtime.StateRoot, _state.ContainerId)))
                    failures.Add(new IOException($"{_runtime.Runtime} delete --force {_state.ContainerId} failed: {error}"));
            }
            await _resources.ReleaseAsync();
            // A runtime killed while it made the container (a cancelled start) leaves its cgroups without a state
            // directory, so no `delete` removes them.
            foreach (var cgroup in Hearth.Sandbox.Reaping.SandboxCgroups.Existing(_state.CgroupsPath))
                await Hearth.Sandbox.Reaping.SandboxCgroups.RemoveTreeAsync(cgroup, _time, CancellationToken.None);
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
            try
            {
                _files.Delete();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add(e);
            }
            _monitor.Dispose();
            _output.Dispose();
            _lifetime.Dispose();
        }
        if (failures.Count > 0) throw new AggregateException($"sandbox {_state.ContainerId} cleanup left something behind", failures);
    }

    /// <summary>
    /// Undoes a start that failed or was cancelled: the monitor's session (the shell and the runtime, which may still be
    /// making the container) is killed at once rather than asked, then everything is removed as on dispose.
    /// </summary>
    internal ValueTask AbortAsync()
    {
        if (!_monitor.HasExited) Native.Kill(-_monitor.Pid, Native.SigKill);
        return DisposeAsync();
    }

    /// <summary>The end of what was written to stderr (the runtime's own errors, for a start that failed).</summary>
    internal string ErrorTail()
    {
        const int TailBytes = 2048;
        var length = _files.Length(OutputStream.Stderr);
        var buffer = new byte[(int)Math.Min(length, TailBytes)];
        try
        {
            using var handle = File.OpenHandle(_files.PathOf(OutputStream.Stderr));
            var read = RandomAccess.Read(handle, buffer, length - buffer.Length);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, read).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    private async Task<SandboxExit> CompleteAsync()
    {
        int code;
        try
        {
            code = await _monitor.Exited.ConfigureAwait(false);
        }
        finally
        {
            // The container's init is gone (and with it, its pid namespace): nothing in it writes any more.
            _exitedAt = _time.GetUtcNow();
            _ended.TrySetResult();
        }
        try
        {
            await Task.WhenAll(_stdout, _stderr).WaitAsync(_launcher.OutputDrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The sink is stuck: stop handing it pieces (the bytes are in the files).
            _lifetime.Cancel();
        }
        // A kept container (and its cgroup) stays until deleted, so its OOM counter can still be read; crun's OOM parent
        // is read through its watch, or, after a restart that lost the watch, through its own counter.
        var oomKills = _state.Kept ? _cgroups.ReadOomKills(_state.CgroupsPath)
            : _resources.OomWatch is null && _state.OomParent is { } parent ? _cgroups.ReadOomKills(parent) : 0;
        if (_state.Kept) await _runtime.RunAsync(CancellationToken.None, "delete", "--force", _state.ContainerId).ConfigureAwait(false);
        var oomKilled = oomKills > 0 || _resources.OomWatch?.Fired() == true;
        int? signal = code is > 128 and <= 128 + 64 ? code - 128 : null;
        if (_output.Failure is { } failure) throw new IOException($"the sandbox's output sink failed: {failure.Message}", failure);
        return new SandboxExit(code, signal, oomKilled);
    }
}
