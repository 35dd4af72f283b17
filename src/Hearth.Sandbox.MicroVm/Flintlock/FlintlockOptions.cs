namespace Hearth.Sandbox.MicroVm.Flintlock;

/// <summary>
/// The microvm driver's Flintlock backend: where flintlockd's gRPC API is and what the VMs boot. Flintlock takes the
/// kernel, the initramfs and the root volume as OCI images, which flintlockd pulls itself.
/// </summary>
public sealed record FlintlockOptions
{
    /// <summary>flintlockd's gRPC address, e.g. http://127.0.0.1:9090 (its default port).</summary>
    public string? Endpoint { get; init; }

    /// <summary>The namespace Hearth's VMs are made in (listed by the fingerprint).</summary>
    public string Namespace { get; init; } = "hearth";

    /// <summary>
    /// The image that holds the guest kernel (built with virtio and vsock in, as Flintlock's kernel images are).
    /// </summary>
    public string? KernelImage { get; init; }

    /// <summary>The kernel's file in <see cref="KernelImage"/>; null: Flintlock's default (boot/vmlinux).</summary>
    public string? KernelFilename { get; init; }

    /// <summary>
    /// The image that holds Hearth's initramfs (the Firecracker backend's, which the guest init's vsock channel needs);
    /// null: none, the root volume's own init boots and no Hearth task can run (the start fails at the guest channel).
    /// </summary>
    public string? InitrdImage { get; init; }

    /// <summary>The initramfs's file in <see cref="InitrdImage"/>; null: Flintlock's default (initrd).</summary>
    public string? InitrdFilename { get; init; }

    /// <summary>How often flintlockd is asked about a VM while it is made and while it runs.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest a gRPC call may take.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
