namespace Hearth.Sandbox.Running;

/// <summary>
/// A sandbox's top process started by an earlier agent: not this process's child, so its exit is seen by polling
/// /proc (every 50 ms; its zombie, if its new parent does not reap it, counts as exited) and its exit code is the one
/// its monitor recorded in the sandbox's status file.
/// </summary>
internal sealed class AdoptedProcess : ISandboxProcess
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private readonly ProcessIdentity _identity;
    private readonly CancellationTokenSource _stop = new();

    public AdoptedProcess(ProcessIdentity identity, Func<int?> recordedExitCode, TimeProvider time)
    {
        _identity = identity;
        Exited = WatchAsync(recordedExitCode, time);
    }

    public int Pid => _identity.Pid;

    public Task<int> Exited { get; }

    public bool HasExited => Exited.IsCompleted || !_identity.IsAlive();

    private async Task<int> WatchAsync(Func<int?> recordedExitCode, TimeProvider time)
    {
        await Task.Yield();
        while (_identity.IsAlive())
        {
            await Task.Delay(Poll, time, _stop.Token).ConfigureAwait(false);
        }
        return recordedExitCode()
            ?? throw new IOException(
                $"process {_identity.Pid} ended after the agent restarted and its monitor recorded no exit code"
            );
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
