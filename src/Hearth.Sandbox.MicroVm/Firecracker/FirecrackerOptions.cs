namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>The microvm driver's Firecracker backend: where the binary and the guest kernel are.</summary>
public sealed record FirecrackerOptions
{
    /// <summary>The <c>firecracker</c> binary: a path, or a name looked up on PATH.</summary>
    public string FirecrackerPath { get; init; } = "firecracker";

    /// <summary>
    /// The guest kernel: an uncompressed <c>vmlinux</c> (Firecracker boots no bzImage) with virtio-mmio, virtio-blk,
    /// ext4 and vsock (<c>CONFIG_VIRTIO_VSOCKETS</c>) built in, as Firecracker's recommended guest configurations have.
    /// </summary>
    public string? KernelPath { get; init; }

    /// <summary>
    /// An initramfs of the operator's; null: Hearth's own (busybox, socat, the guest init), built into the cache.
    /// </summary>
    public string? InitrdPath { get; init; }

    /// <summary>Words added to the kernel command line.</summary>
    public string? ExtraBootArgs { get; init; }

    /// <summary>The guest's vsock relay for Hearth's initramfs: Debian's socat (copied with its libraries).</summary>
    public string SocatPath { get; init; } = "/usr/bin/socat";

    /// <summary>How long Firecracker may take to serve its API socket after it starts.</summary>
    public TimeSpan ApiTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After a stop's grace, how long the guest gets to power off on Ctrl+Alt+Del before Firecracker is killed.
    /// </summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(2);
}
