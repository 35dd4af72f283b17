namespace Hearth.Sandbox;

/// <summary>
/// The one contract every way of running a task implements. Kept deliberately narrow:
/// a driver reports what it is able to do, starts a sandbox, and everything else happens
/// on the returned <see cref="ISandbox"/>.
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
    /// Creates the sandbox and starts the command in it. Returns once the command is running;
    /// a sandbox that fails to start throws <see cref="SandboxStartException"/>.
    /// Output lines are delivered to <paramref name="output"/> in the order they were read per stream.
    /// </summary>
    Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken);
}
