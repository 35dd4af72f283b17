namespace Hearth.Sandbox.MicroVm;

/// <summary>Where the microvm driver finds QEMU, the guest kernel and its tools, and what a VM gets by default.</summary>
public sealed record MicroVmDriverOptions
{
    /// <summary>Where built boot images (initramfs) and root disks (one ext4 image per image digest and size) are kept.</summary>
    public required string CacheDirectory { get; init; }

    public string QemuPath { get; init; } = "qemu-system-x86_64";

    public string QemuImgPath { get; init; } = "qemu-img";

    public string MkfsPath { get; init; } = "mkfs.ext4";

    /// <summary>A static busybox: the guest init's shell and tools (Debian's busybox-static).</summary>
    public string BusyboxPath { get; init; } = "/bin/busybox";

    /// <summary>The guest kernel (a bzImage). Null: the newest /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64).</summary>
    public string? KernelPath { get; init; }

    /// <summary>Where the kernel's modules are, per version (its virtio drivers are modules).</summary>
    public string ModulesRoot { get; init; } = "/lib/modules";

    /// <summary>"auto" (KVM when /dev/kvm can run a stock kernel, else software emulation), "kvm" or "tcg".</summary>
    public string Accelerator { get; init; } = "auto";

    /// <summary>Guest memory when the task sets no memory limit.</summary>
    public long DefaultMemoryBytes { get; init; } = 256L << 20;

    /// <summary>Guest memory below this is refused: the kernel and the guest init need it.</summary>
    public long MinimumMemoryBytes { get; init; } = 96L << 20;

    /// <summary>Size of a root disk (sparse; grown to fit the image when it is larger).</summary>
    public long DiskSizeBytes { get; init; } = 1L << 30;

    /// <summary>How long a VM may take from QEMU's start until the command runs (software emulation on a busy host is slow).</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Whether a stored image may be pulled when missing (the run's policy otherwise).</summary>
    public bool PullMissingImages { get; init; } = true;

    /// <summary>What runs the VMs: "qemu" (the default), "firecracker" or "flintlock" (docs/microvm.md).</summary>
    public string Backend { get; init; } = "qemu";

    /// <summary>The Firecracker backend's binary and guest kernel.</summary>
    public Firecracker.FirecrackerOptions Firecracker { get; init; } = new();

    /// <summary>The Flintlock backend's flintlockd address and the VMs' kernel.</summary>
    public Flintlock.FlintlockOptions Flintlock { get; init; } = new();
}
