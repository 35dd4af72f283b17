namespace Hearth.Sandbox;

/// <summary>One running sandbox. Disposing it destroys everything the driver created for it.</summary>
public interface ISandbox : IAsyncDisposable
{
    /// <summary>Host pid of the sandbox's top process (or of its monitor), for diagnostics.</summary>
    int Pid { get; }

    /// <summary>Completes when the command has exited and all of its output has been delivered.</summary>
    Task<SandboxExit> WaitAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="signal"/> to the whole process tree, waits up to <paramref name="grace"/>
    /// for it to exit, then kills what is left. Idempotent; safe to call after exit.
    /// </summary>
    Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken);
}
