using Hearth.Sandbox.MicroVm.Firecracker;
using Hearth.Sandbox.MicroVm.Flintlock;
using Hearth.Sandbox.Oci.Images;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The backend the driver's options name (none for QEMU, the driver's own path), and which one a handle is for.
/// </summary>
internal static class MicroVmBackends
{
    public static IMicroVmBackend? Create(
        MicroVmDriverOptions options,
        ImageStore images,
        TimeProvider time,
        MicroVmMetrics metrics
    ) =>
        options.Backend switch
        {
            "qemu" => null,
            FirecrackerBackend.BackendName => new FirecrackerBackend(
                options,
                options.Firecracker,
                images,
                time,
                metrics
            ),
            FlintlockBackend.BackendName => new FlintlockBackend(options, options.Flintlock, images, time, metrics),
            _ => throw new ArgumentException(
                $"microvm backend '{options.Backend}' is unknown: expected qemu, firecracker or flintlock"
            ),
        };

    /// <summary>
    /// The backend that made <paramref name="handle"/>; null for the QEMU path's handles (backend qemu-kvm or
    /// qemu-tcg).
    /// </summary>
    public static IMicroVmBackend? For(SandboxHandle handle, IMicroVmBackend? configured)
    {
        var backend = handle.Optional("backend");
        if (backend is not (FirecrackerBackend.BackendName or FlintlockBackend.BackendName))
            return null;
        if (configured?.Name == backend)
            return configured;
        throw new SandboxRecoveryException(
            $"VM {handle.SandboxId} was made by the {backend} backend, but this agent's microvm backend is {configured?.Name ?? "qemu"}"
        );
    }
}
