namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// A way of running the microvm driver's VMs other than its own QEMU path: Firecracker (its API on a Unix socket) or
/// Flintlock (flintlockd's gRPC API). The driver hands a task, a handle or a fingerprint request to the backend its
/// options name; handles say which backend made them (<c>backend</c> in their state).
/// </summary>
internal interface IMicroVmBackend
{
    /// <summary>The value of <c>driver.microvm.backend</c> and of a handle's <c>backend</c>.</summary>
    string Name { get; }

    DriverCapabilities Capabilities { get; }

    DriverFingerprint Fingerprint();

    Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken);

    Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    );

    Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken);
}
