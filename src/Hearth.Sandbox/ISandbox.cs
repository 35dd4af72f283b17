namespace Hearth.Sandbox;

/// <summary>
/// One sandbox, started or recovered. Its stdout and stderr are byte streams kept in files that outlive the agent;
/// pieces of them are cut into lines for the <see cref="ISandboxOutput"/> given at start. Disposing (or
/// <see cref="DestroyAsync"/>) removes everything the driver created for it; both are idempotent.
/// </summary>
public interface ISandbox : IAsyncDisposable
{
    /// <summary>
    /// What the agent persists to find this sandbox again (see <see cref="ISandboxDriver.RecoverAsync"/>).
    /// </summary>
    SandboxHandle Handle { get; }

    /// <summary>Host pid of the sandbox's top process (or of its monitor), for diagnostics.</summary>
    int Pid { get; }

    /// <summary>Completes when the command has exited and all of its output has been delivered.</summary>
    Task<SandboxExit> WaitAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="signal"/> to the whole process tree, waits up to <paramref name="grace"/>
    /// for it to exit, then kills what is left. Idempotent; safe to call after exit.
    /// </summary>
    Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken);

    /// <summary>
    /// Sends signal number <paramref name="signal"/> to the command (no grace, no kill after). A no-op after exit.
    /// </summary>
    Task SignalAsync(int signal, CancellationToken cancellationToken);

    /// <summary>
    /// State, pid, start and exit times, resource use where the driver can read it, output written so far.
    /// </summary>
    Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs another command inside the running sandbox, with its own output and exit code. Throws
    /// <see cref="SandboxCapabilityException"/> where the driver cannot (<see cref="DriverCapabilities.Exec"/>).
    /// </summary>
    Task<SandboxExit> ExecAsync(
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken cancellationToken
    );

    /// <summary>
    /// The exact bytes the command wrote to <paramref name="stream"/>, from <paramref name="offset"/>: returns how many
    /// were copied into <paramref name="buffer"/> (0 at the end of what is written so far).
    /// </summary>
    ValueTask<int> ReadOutputAsync(
        OutputStream stream,
        long offset,
        Memory<byte> buffer,
        CancellationToken cancellationToken
    );

    /// <summary>
    /// Its address on each named network it joined (<see cref="SandboxSpec.Networks"/>); empty for none.
    /// </summary>
    IReadOnlyList<SandboxAddress> Addresses => [];

    /// <summary>
    /// Kills what is left and removes everything the sandbox made, output files included. Idempotent.
    /// </summary>
    ValueTask DestroyAsync() => DisposeAsync();
}
