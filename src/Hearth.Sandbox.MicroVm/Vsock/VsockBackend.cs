using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// What the vsock backends (Firecracker, Flintlock) share beside their sandbox (<see cref="VsockVmSandbox"/>).
/// </summary>
internal static class VsockBackend
{
    /// <summary>
    /// A VM with no network, signals through the guest, no exec (the guest protocol has none over vsock).
    /// </summary>
    public static DriverCapabilities Capabilities { get; } =
        new(
            FilesystemIsolation.Vm,
            NetworkModes: ["none"],
            Ports: false,
            Signals: true,
            Exec: false,
            Recover: true,
            Limits: ["cpu", "memory"]
        );

    /// <summary>A healthy backend's labels: the driver's, its backend's name and one fact of its own.</summary>
    public static DriverFingerprint Healthy(string backend, string label, string value) =>
        new(
            true,
            null,
            new Dictionary<string, string>
            {
                ["driver.microvm"] = "1",
                ["driver.microvm.backend"] = backend,
                [label] = value,
            }
        );

    /// <summary>
    /// A task's scratch directory and its records; the scratch directory is removed when the records fail.
    /// </summary>
    public static (ScratchDirectory Scratch, SandboxFiles Files) CreateDirectories(SandboxSpec spec)
    {
        var scratch = ScratchDirectory.Create(spec.ScratchRoot, spec.SandboxId);
        try
        {
            return (scratch, SandboxFiles.Create(spec.StateDirectoryOrDefault));
        }
        catch
        {
            scratch.Delete();
            throw;
        }
    }
}
