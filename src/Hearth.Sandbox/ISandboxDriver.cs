namespace Hearth.Sandbox;

/// <summary>
/// The one contract every way of running a task implements (after Nomad's task-driver plugins). Kept narrow: a driver
/// says what it can do (<see cref="Capabilities"/>, as data), probes the host (<see cref="Fingerprint"/>), starts a
/// sandbox, and finds one again from its handle after an agent restart; everything else happens on the
/// <see cref="ISandbox"/>.
/// </summary>
public interface ISandboxDriver
{
    /// <summary>Stable name used in requests and labels: "process", "bubblewrap", "oci", "microvm".</summary>
    string Name { get; }

    DriverCapabilities Capabilities { get; }

    /// <summary>
    /// Probes the host: whether the driver can run here and the attributes it contributes
    /// to the agent's labels (e.g. driver.bubblewrap.version). Cheap enough to call at registration.
    /// </summary>
    DriverFingerprint Fingerprint();

    /// <summary>
    /// Creates the sandbox and starts the command in it. Returns once the command is running (its handle is then
    /// complete); a sandbox that fails to start throws <see cref="SandboxStartException"/> and leaves nothing behind.
    /// A cancelled start undoes what it made and throws <see cref="OperationCanceledException"/>.
    /// Output pieces are delivered to <paramref name="output"/> in the order they were written per stream.
    /// </summary>
    Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken);

    /// <summary>
    /// Finds a sandbox started by an earlier agent from its <paramref name="handle"/>, running or exited meanwhile,
    /// without restarting it; its output is delivered from <paramref name="from"/> on. Throws
    /// <see cref="SandboxRecoveryException"/> when the sandbox cannot be recovered (gone without a trace of its exit,
    /// or a driver that cannot recover at all: <see cref="DriverCapabilities.Recover"/>).
    /// </summary>
    Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    );

    /// <summary>
    /// Kills and removes what <paramref name="handle"/> names without recovering it (its task belongs to someone else
    /// now). Idempotent: what is already gone is skipped.
    /// </summary>
    Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken);
}
