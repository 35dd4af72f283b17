namespace Hearth.Sandbox.Running;

/// <summary>A started sandbox: pumps its output, reports its exit, stops its tree and cleans up after it.</summary>
internal sealed class RunningSandbox : ISandbox
{
    private const int MaxSignal = 64;

    private readonly SpawnedProcess _process;
    private readonly SandboxLaunch _launch;
    private readonly SerializedOutput _output;
    private readonly LauncherOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _stdout;
    private readonly Task _stderr;
    private readonly Task<SandboxExit> _completion;
    private int _disposed;

    public RunningSandbox(SpawnedProcess process, SandboxLaunch launch, ISandboxOutput output, LauncherOptions options, TimeProvider time)
    {
        _process = process;
        _launch = launch;
        _output = new SerializedOutput(output);
        _options = options;
        _time = time;
        Pid = process.Pid;
        _stdout = PumpAsync(process.StandardOutput, OutputStream.Stdout);
        _stderr = PumpAsync(process.StandardError, OutputStream.Stderr);
        _completion = RunAsync();
    }

    public int Pid { get; }

    /// <summary>The sandbox's cgroups (null when the host has none), for diagnostics and tests.</summary>
    internal Cgroups.ICgroup? Cgroup => _launch.Cgroup;

    internal string ScratchDirectory => _launch.Scratch.Root;

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => _completion.WaitAsync(cancellationToken);

    public async Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (_completion.IsCompleted)
        {
            return;
        }
        if (signal != StopSignal.Kill)
        {
            // Without a cgroup, the tree as it was: processes that obey the signal are still dying when the root is gone.
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
            await Attempt(async () => await cgroup.DisposeAsync().ConfigureAwait(false), failures).ConfigureAwait(false);
        }
        await Attempt(() => { _launch.Scratch.Recycle(); return Task.CompletedTask; }, failures).ConfigureAwait(false);
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
        var exitCode = await _process.Exited.ConfigureAwait(false);

        // Whatever the command left running in the background would keep the pipes open and outlive the run.
        await KillTreeAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_stdout, _stderr).WaitAsync(_options.OutputDrainTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Something outside the tree we can see still holds a pipe open: stop reading.
            _lifetime.Cancel();
        }

        var oom = exitCode != 0 && (_launch.Cgroup?.OomKilled() ?? false);
        int? signal = exitCode is > 128 and <= 128 + MaxSignal ? exitCode - 128 : null;
        if (_output.Failure is { } failure)
        {
            throw new IOException($"the sandbox's output sink failed: {failure.Message}", failure);
        }
        return new SandboxExit(exitCode, signal, oom);
    }

    private async Task PumpAsync(Stream stream, OutputStream kind)
    {
        // Yield first so the constructor never runs a read synchronously.
        await Task.Yield();
        try
        {
            var reader = new LineReader(stream, _options.MaxLineBytes);
            await reader.ReadAllAsync((line, continues, ct) => _output.WriteLineAsync(kind, line, continues, ct), _lifetime.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // abandoned after the drain timeout or on dispose
        }
    }

    /// <summary>Sends a polite signal to every process of the sandbox the agent can find.</summary>
    private void SignalTree(int signal)
    {
        var table = TreeSnapshot();
        var except = new HashSet<int>();
        if (_launch.RootIsMonitor)
        {
            except.Add(Pid);
            except.UnionWith(table.Where(e => e.ParentPid == Pid).Select(e => e.Pid));
        }
        else
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
    /// The process table, or nothing once the root has been reaped: its pid may then belong to someone else,
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

    /// <summary>SIGKILL to everything: the cgroup (frozen first), the process group, and the root's descendants.</summary>
    private async Task KillTreeAsync(CancellationToken cancellationToken)
    {
        var descendants = ProcTable.Descendants(TreeSnapshot(), Pid);
        if (_launch.Cgroup is { } cgroup)
        {
            await cgroup.KillAllAsync(cancellationToken).ConfigureAwait(false);
        }
        Native.Kill(-Pid, Native.SigKill);
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

    private async Task WaitGoneAsync(IReadOnlyList<int> pids, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.OutputDrainTimeout;
        while (pids.Any(pid => ProcTable.TryRead(pid) is not null) && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time, cancellationToken).ConfigureAwait(false);
        }
    }
}
