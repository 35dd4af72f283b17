namespace Hearth.Sandbox.Running;

/// <summary>
/// A started (or recovered) host-process sandbox: follows its output files, reports its exit, signals and stops its
/// tree, and cleans up after it.
/// </summary>
internal sealed class RunningSandbox : ISandbox
{
    private const int MaxSignal = 64;

    private readonly ISandboxProcess _process;
    private readonly SandboxLaunch _launch;
    private readonly SerializedOutput _output;
    private readonly LauncherOptions _options;
    private readonly TimeProvider _time;
    private readonly HostRuntime.Exec? _exec;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _treeGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _stdout;
    private readonly Task _stderr;
    private readonly Task<SandboxExit> _completion;
    private DateTimeOffset? _exitedAt;
    private int _disposed;

    /// <param name="exec">Runs a command inside the sandbox; null where the driver cannot.</param>
    public RunningSandbox(
        ISandboxProcess process,
        SandboxLaunch launch,
        SandboxHandle handle,
        DateTimeOffset startedAt,
        ISandboxOutput output,
        OutputCursor from,
        LauncherOptions options,
        TimeProvider time,
        HostRuntime.Exec? exec
    )
    {
        _process = process;
        _launch = launch;
        Handle = handle;
        StartedAt = startedAt;
        _output = new SerializedOutput(output);
        _options = options;
        _time = time;
        _exec = exec;
        Pid = process.Pid;
        _stdout = new OutputTail(
            launch.Files,
            OutputStream.Stdout,
            from.Stdout,
            options.MaxLineBytes,
            _output,
            time
        ).RunAsync(_treeGone.Task, _lifetime.Token);
        _stderr = new OutputTail(
            launch.Files,
            OutputStream.Stderr,
            from.Stderr,
            options.MaxLineBytes,
            _output,
            time
        ).RunAsync(_treeGone.Task, _lifetime.Token);
        _completion = RunAsync();
    }

    public SandboxHandle Handle { get; }

    public int Pid { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The sandbox's cgroups (null when the host has none), for diagnostics and tests.</summary>
    internal Cgroups.ICgroup? Cgroup => _launch.Cgroup;

    internal string ScratchDirectory => _launch.Scratch.Root;

    internal SandboxFiles Files => _launch.Files;

    internal bool HasExited => _process.HasExited;

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => _completion.WaitAsync(cancellationToken);

    public async Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_completion.IsCompleted)
        {
            return;
        }
        if (signal != StopSignal.Kill)
        {
            // Without a cgroup, the tree as it was: processes that obey the signal are still dying when the root is
            // gone.
            var tree = _launch.Cgroup is null ? ProcTable.Descendants(TreeSnapshot(), Pid) : [];
            SignalTree((int)signal);
            using var graceTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var graceOver = Task.Delay(grace, _time, graceTimer.Token);
            var first = await Task.WhenAny(_completion, graceOver).ConfigureAwait(false);
            await graceTimer.CancelAsync().ConfigureAwait(false);
            if (first == _completion)
            {
                await WaitGoneAsync(tree, cancellationToken).ConfigureAwait(false);
                return;
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        await KillTreeAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAny(_completion).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task SignalAsync(int signal, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(signal, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(signal, MaxSignal);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_completion.IsCompleted)
            SignalTree(signal);
        return Task.CompletedTask;
    }

    public Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var exit = _completion.IsCompletedSuccessfully ? _completion.Result : null;
        var status = new SandboxStatus(
            _completion.IsCompleted ? SandboxPhase.Exited : SandboxPhase.Running,
            Pid,
            StartedAt,
            _exitedAt,
            exit,
            _completion.IsCompleted ? null : CgroupUsage.Read(_launch.Cgroup),
            _launch.Files.Length(OutputStream.Stdout),
            _launch.Files.Length(OutputStream.Stderr)
        );
        return Task.FromResult(status);
    }

    public Task<SandboxExit> ExecAsync(
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken cancellationToken
    )
    {
        if (_exec is null)
            throw new SandboxCapabilityException(
                $"the {Handle.Driver} driver cannot run a command inside a running sandbox"
            );
        if (command.Count == 0)
            throw new ArgumentException("the command is empty", nameof(command));
        if (_completion.IsCompleted)
            throw new InvalidOperationException($"sandbox {Handle.SandboxId} has exited");
        return _exec(this, command, output, cancellationToken);
    }

    public ValueTask<int> ReadOutputAsync(
        OutputStream stream,
        long offset,
        Memory<byte> buffer,
        CancellationToken cancellationToken
    ) => _launch.Files.ReadAsync(stream, offset, buffer, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        if (!_completion.IsCompleted)
        {
            await KillTreeAsync(CancellationToken.None).ConfigureAwait(false);
        }
        await Task.WhenAny(_completion).ConfigureAwait(false);
        _lifetime.Cancel();
        await Task.WhenAll(_stdout, _stderr).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);

        // Every step runs even if an earlier one fails; a leftover cgroup or scratch directory is reported, not hidden.
        var failures = new List<Exception>();
        if (_launch.Cgroup is { } cgroup)
        {
            await Attempt(async () => await cgroup.DisposeAsync().ConfigureAwait(false), failures)
                .ConfigureAwait(false);
        }
        await Attempt(
                () =>
                {
                    _launch.Scratch.Recycle();
                    return Task.CompletedTask;
                },
                failures
            )
            .ConfigureAwait(false);
        await Attempt(
                () =>
                {
                    _launch.Files.Delete();
                    return Task.CompletedTask;
                },
                failures
            )
            .ConfigureAwait(false);
        _process.Dispose();
        _output.Dispose();
        _lifetime.Dispose();
        if (failures.Count > 0)
        {
            throw new AggregateException($"sandbox cleanup left something behind ({Pid})", failures);
        }
    }

    private static async Task Attempt(Func<Task> step, List<Exception> failures)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures.Add(e);
        }
    }

    private async Task<SandboxExit> RunAsync()
    {
        int exitCode;
        try
        {
            exitCode = await _process.Exited.ConfigureAwait(false);
        }
        finally
        {
            // Whatever the command left running in the background would keep writing and outlive the run.
            await KillTreeAsync(CancellationToken.None).ConfigureAwait(false);
            await KillMonitoredInitAsync().ConfigureAwait(false);
            _exitedAt = _time.GetUtcNow();
            _treeGone.TrySetResult();
        }
        await DrainAsync().ConfigureAwait(false);

        var oom = exitCode != 0 && (_launch.Cgroup?.OomKilled() ?? false);
        int? signal = exitCode is > 128 and <= 128 + MaxSignal ? exitCode - 128 : null;
        if (_output.Failure is { } failure)
        {
            throw new IOException($"the sandbox's output sink failed: {failure.Message}", failure);
        }
        return new SandboxExit(exitCode, signal, oom);
    }

    /// <summary>
    /// Lets the tails hand the sink what the command wrote before it exited. A slow sink (a log shipper behind a busy
    /// server, a million lines written at once) is waited for as long as it keeps taking pieces: its lines are not cut
    /// off by a deadline. Only a sink that takes nothing for <see cref="LauncherOptions.OutputDrainTimeout"/> is taken
    /// for stuck and handed nothing more (the bytes stay in the files).
    /// </summary>
    private async Task DrainAsync()
    {
        var tails = Task.WhenAll(_stdout, _stderr);
        var delivered = _output.Delivered;
        while (true)
        {
            try
            {
                await tails.WaitAsync(_options.OutputDrainTimeout, _time).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException)
            {
                var now = _output.Delivered;
                if (now != delivered)
                {
                    delivered = now;
                    continue;
                }
                _lifetime.Cancel();
                return;
            }
        }
    }

    /// <summary>Sends a signal to every process of the sandbox the agent can find.</summary>
    private void SignalTree(int signal)
    {
        var table = TreeSnapshot();
        var except = new HashSet<int>();
        if (_launch.RootIsMonitor)
        {
            except.Add(Pid);
            except.UnionWith(table.Where(e => e.ParentPid == Pid).Select(e => e.Pid));
        }
        else if (!_process.HasExited)
        {
            // The root was started in a new session: its pid is its process group id.
            Native.Kill(-Pid, signal);
        }
        _launch.Cgroup?.Signal(signal, except);
        foreach (var pid in ProcTable.Descendants(table, Pid))
        {
            if (!except.Contains(pid))
            {
                Native.Kill(pid, signal);
            }
        }
    }

    /// <summary>
    /// The process table, or nothing once the root is gone: its pid may then belong to someone else,
    /// and so may the "children" of that pid.
    /// </summary>
    private IReadOnlyList<ProcEntry> TreeSnapshot()
    {
        if (_process.HasExited)
        {
            return [];
        }
        var table = ProcTable.Snapshot();
        return _process.HasExited ? [] : table;
    }

    /// <summary>
    /// SIGKILL to everything: the cgroup (frozen first), the process group, and the root's descendants.
    /// </summary>
    private async Task KillTreeAsync(CancellationToken cancellationToken)
    {
        var descendants = ProcTable.Descendants(TreeSnapshot(), Pid);
        if (_launch.Cgroup is { } cgroup)
        {
            await cgroup.KillAllAsync(cancellationToken).ConfigureAwait(false);
        }
        if (!_process.HasExited)
        {
            Native.Kill(-Pid, Native.SigKill);
        }
        foreach (var pid in descendants)
        {
            Native.Kill(pid, Native.SigKill);
        }
        if (!_process.HasExited)
        {
            Native.Kill(Pid, Native.SigKill);
        }
        if (_launch.Cgroup is null)
        {
            // A cgroup's kill waits until the group is empty; without one, wait for the processes seen to be gone
            // (a SIGKILL is delivered, not finished, when kill returns), so a stopped sandbox leaves nothing behind.
            await WaitGoneAsync(descendants, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// bwrap reports the command's exit as soon as it happens, but the pid namespace's init (its child-pid) goes on
    /// reaping until nothing is left in the namespace: a background process would keep it, and itself, alive. Killing
    /// the init makes the kernel kill everything in the namespace; waiting for it means that nothing of the sandbox
    /// runs (or writes) once the exit is reported. The pid is checked to be a namespace's init (NSpid ending in 1).
    /// </summary>
    private async Task KillMonitoredInitAsync()
    {
        if (!_launch.RootIsMonitor || _launch.Files.RecordedChildPid() is not { } init || !IsNamespaceInit(init))
            return;
        Native.Kill(init, Native.SigKill);
        await WaitGoneAsync([init], CancellationToken.None).ConfigureAwait(false);
    }

    private static bool IsNamespaceInit(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status")
                .FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
            var ids = line?.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return ids is { Length: > 2 } && ids[^1] == "1";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task WaitGoneAsync(IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.OutputDrainTimeout;
        while (pids.Any(pid => ProcTable.TryRead(pid) is not null) && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
