namespace Hearth.Sandbox.Running;

/// <summary>
/// The shape every sandbox watched through its output files shares (the oci driver's container, the microvm driver's
/// VMs): its stdout and stderr are followed from a byte offset (<see cref="OutputTail"/>) until the sandbox has ended,
/// then drained for at most <see cref="LauncherOptions.OutputDrainTimeout"/>; the exit is known once both are done.
/// Wait, inspect, output reads and the stop with a grace are the same for all; a driver says how its sandbox ends,
/// how its exit is read, how it is asked to stop, how it is killed and what it releases (as Nomad's task handles share
/// one wait/stop shape).
/// </summary>
/// <remarks>A subclass's constructor calls <see cref="Monitor"/> last, once the state its hooks read is set.</remarks>
internal abstract class MonitoredSandbox : ISandbox
{
    /// <summary>How long a dispose waits for a sandbox it killed to be reported ended.</summary>
    protected static readonly TimeSpan StuckMonitor = TimeSpan.FromSeconds(30);

    private const int MaxSignal = 64;

    private readonly SandboxFiles _files;
    private readonly SerializedOutput _output;
    private readonly LauncherOptions _launcher;
    private readonly DateTimeOffset _startedAt;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _tails;
    private Task<SandboxExit>? _completion;
    private DateTimeOffset? _exitedAt;
    private int _disposed;

    protected MonitoredSandbox(
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        DateTimeOffset startedAt,
        LauncherOptions launcher,
        TimeProvider time
    )
    {
        _files = files;
        _output = new SerializedOutput(output);
        _launcher = launcher;
        _startedAt = startedAt;
        Time = time;
        var stdout = new OutputTail(
            files,
            OutputStream.Stdout,
            from.Stdout,
            launcher.MaxLineBytes,
            _output,
            time
        ).RunAsync(_ended.Task, _lifetime.Token);
        var stderr = new OutputTail(
            files,
            OutputStream.Stderr,
            from.Stderr,
            launcher.MaxLineBytes,
            _output,
            time
        ).RunAsync(_ended.Task, _lifetime.Token);
        _tails = Task.WhenAll(stdout, stderr);
    }

    public abstract SandboxHandle Handle { get; }

    public abstract int Pid { get; }

    public virtual IReadOnlyList<SandboxAddress> Addresses => [];

    /// <summary>The sandbox has ended and its exit is known (or failed to be).</summary>
    internal bool Ended => Completion.IsCompleted;

    protected TimeProvider Time { get; }

    protected SandboxFiles Files => _files;

    protected LauncherOptions Launcher => _launcher;

    private Task<SandboxExit> Completion =>
        _completion
        ?? throw new InvalidOperationException($"{GetType().Name} did not call Monitor() in its constructor");

    /// <summary>Starts waiting for the end; the last call of a subclass's constructor.</summary>
    protected void Monitor() => _completion = CompleteAsync();

    /// <summary>
    /// Returns once nothing in the sandbox writes its output files any more: with the exit code when the end gives
    /// it, or null when <see cref="ReadExitAsync"/> reads it from elsewhere. <paramref name="lifetime"/> is cancelled
    /// on dispose.
    /// </summary>
    protected abstract Task<int?> WaitForEndAsync(CancellationToken lifetime);

    /// <summary>
    /// How the command ended, once its output is drained (<paramref name="code"/>: what the end gave).
    /// </summary>
    protected abstract Task<SandboxExit> ReadExitAsync(int? code);

    /// <summary>
    /// Asks the sandbox to stop with <paramref name="signal"/>: true when it ended within <paramref name="grace"/>
    /// (see <see cref="EndsWithinAsync"/>), false when it is to be killed.
    /// </summary>
    protected abstract Task<bool> AskToStopAsync(
        StopSignal signal,
        TimeSpan grace,
        CancellationToken cancellationToken
    );

    /// <summary>Ends the sandbox at once (its end is then reported through <see cref="WaitForEndAsync"/>).</summary>
    protected abstract Task KillAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The start of a dispose: ends a sandbox still running (waiting at most <see cref="StuckMonitor"/> for it to be
    /// reported ended). What is left behind goes into <paramref name="failures"/>.
    /// </summary>
    protected abstract Task EndForDisposeAsync(List<Exception> failures);

    /// <summary>Removes what the sandbox made once it has ended and its output is no longer followed.</summary>
    protected abstract Task ReleaseAsync(List<Exception> failures);

    /// <summary>Resource use while it runs, where the driver can read it.</summary>
    protected virtual SandboxUsage? ReadUsage() => null;

    /// <summary>Names the sandbox in the error a dispose that left something behind throws.</summary>
    protected abstract string CleanupFailure { get; }

    public abstract Task SignalAsync(int signal, CancellationToken cancellationToken);

    public abstract Task<SandboxExit> ExecAsync(
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken cancellationToken
    );

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => Completion.WaitAsync(cancellationToken);

    public ValueTask<int> ReadOutputAsync(
        OutputStream stream,
        long offset,
        Memory<byte> buffer,
        CancellationToken cancellationToken
    ) => _files.ReadAsync(stream, offset, buffer, cancellationToken);

    public Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var done = Completion.IsCompleted;
        var usage = done ? null : ReadUsage();
        return Task.FromResult(
            new SandboxStatus(
                done ? SandboxPhase.Exited : SandboxPhase.Running,
                Pid,
                _startedAt,
                _exitedAt,
                Completion.IsCompletedSuccessfully ? Completion.Result : null,
                usage,
                _files.Length(OutputStream.Stdout),
                _files.Length(OutputStream.Stderr)
            )
        );
    }

    /// <summary>Asks first (unless <paramref name="signal"/> is a kill), kills after the grace.</summary>
    public async Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        if (Completion.IsCompleted)
            return;
        if (signal != StopSignal.Kill && await AskToStopAsync(signal, grace, cancellationToken))
            return;
        await KillAsync(cancellationToken);
        await Task.WhenAny(Completion).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// True when the sandbox ends within <paramref name="limit"/>, false when the limit passes first.
    /// </summary>
    protected async Task<bool> EndsWithinAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAny(Completion).WaitAsync(limit, Time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Waits for the end to be reported, at most <see cref="StuckMonitor"/>.</summary>
    protected Task EndedOrStuckAsync() => Task.WhenAny(Completion, Task.Delay(StuckMonitor, Time));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        var failures = new List<Exception>();
        await EndForDisposeAsync(failures);
        _lifetime.Cancel();
        await _tails.ContinueWith(static _ => { }, TaskScheduler.Default);
        try
        {
            await ReleaseAsync(failures);
        }
        finally
        {
            _output.Dispose();
            _lifetime.Dispose();
        }
        if (failures.Count > 0)
            throw new AggregateException(CleanupFailure, failures);
    }

    /// <summary>Runs one cleanup step; a file it could not remove goes into <paramref name="failures"/>.</summary>
    protected static void Attempt(Action step, List<Exception> failures)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures.Add(e);
        }
    }

    /// <summary>An exit code read as the shell does: 128+N is signal N.</summary>
    internal static SandboxExit ExitOf(int code, bool oomKilled = false) =>
        new(code, code is > 128 and <= 128 + MaxSignal ? code - 128 : null, oomKilled);

    private async Task<SandboxExit> CompleteAsync()
    {
        int? code;
        try
        {
            code = await WaitForEndAsync(_lifetime.Token).ConfigureAwait(false);
        }
        finally
        {
            _exitedAt = Time.GetUtcNow();
            _ended.TrySetResult();
        }
        try
        {
            await _tails.WaitAsync(_launcher.OutputDrainTimeout, Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The sink is stuck: stop handing it pieces (the bytes are in the files).
            _lifetime.Cancel();
        }
        var exit = await ReadExitAsync(code).ConfigureAwait(false);
        if (_output.Failure is { } failure)
            throw new IOException($"the sandbox's output sink failed: {failure.Message}", failure);
        return exit;
    }
}
