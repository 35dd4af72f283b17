namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// Where the microvm driver finds QEMU, the guest kernel and its tools, and what a VM gets by default.
/// </summary>
public sealed record MicroVmDriverOptions
{
    /// <summary>
    /// Where built boot images (initramfs) and root disks (one ext4 image per image digest and size) are kept.
    /// </summary>
    public required string CacheDirectory { get; init; }

    public string QemuPath { get; init; } = "qemu-system-x86_64";

    public string QemuImgPath { get; init; } = "qemu-img";

    public string MkfsPath { get; init; } = "mkfs.ext4";

    /// <summary>A static busybox: the guest init's shell and tools (Debian's busybox-static).</summary>
    public string BusyboxPath { get; init; } = "/bin/busybox";

    /// <summary>
    /// The guest kernel (a bzImage). Null: the newest /boot/vmlinuz-*-cloud-amd64 (linux-image-cloud-amd64).
    /// </summary>
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

    /// <summary>
    /// Capacity of a VM's workspace disk (sparse: only what is written takes space), which carries a task's
    /// <see cref="SandboxSpec.WorkspaceDirectory"/> (a checkout the agent made) in and out of the VM. Every warm pool
    /// VM has one; a cold VM's grows to twice its content when that is larger.
    /// </summary>
    public long WorkspaceDiskBytes { get; init; } = 4L << 30;

    /// <summary>Where a task's workspace is mounted in the VM; it is then the command's working directory.</summary>
    public string WorkspacePath { get; init; } = "/workspace";

    /// <summary>
    /// e2fsprogs' debugfs: reads the workspace disk back into the host directory after the VM ends (no mount).
    /// </summary>
    public string DebugfsPath { get; init; } = "debugfs";

    /// <summary>
    /// How long a VM may take from QEMU's start until the command runs (software emulation on a busy host is slow).
    /// </summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Warm pools: per size class and image, how many VMs are kept booted and waiting for a task. Empty (the default):
    /// every task boots its VM cold. Needs <see cref="PoolScratchRoot"/>.
    /// </summary>
    public IReadOnlyList<WarmPoolEntry> WarmPools { get; init; } = [];

    /// <summary>
    /// How many VMs beyond the configured pools may be booted on the server's prewarm hints (GitLab Job Hooks) and wait
    /// at once: a hint beyond it is declined.
    /// </summary>
    public int MaxPrewarmed { get; init; } = 2;

    /// <summary>
    /// Where pooled VMs keep their files (the agent's scratch root: a task takes a pooled VM only when its sandbox's
    /// scratch root is this one). Null: no warm pool, not even for <see cref="MicroVmDriver.PrewarmAsync"/>.
    /// </summary>
    public string? PoolScratchRoot { get; init; }

    /// <summary>
    /// The bridge a VM that asks for a network joins through a tap (the oci driver's by default: the same bridge,
    /// subnet, NAT table and address records, so one reaper covers both).
    /// </summary>
    public Hearth.Sandbox.Oci.Networking.OciNetworkOptions Network { get; init; } = new();

    /// <summary>
    /// Where QEMU's cgroup goes (cgroup v1 here, v2 elsewhere): each VM's QEMU runs in one named by its id, bounded by
    /// the guest's memory plus <see cref="MemoryOverheadBytes"/> and its vCPUs plus <see cref="CpuOverhead"/>.
    /// </summary>
    public CgroupOptions Cgroups { get; init; } = new();

    /// <summary>QEMU's own memory beside the guest's (device emulation; under TCG its translated code too).</summary>
    public long MemoryOverheadBytes { get; init; } = 256L << 20;

    /// <summary>CPU for QEMU's own threads beside the vCPUs (its I/O thread), in CPUs.</summary>
    public double CpuOverhead { get; init; } = 0.5;

    /// <summary>Whether a stored image may be pulled when missing (the run's policy otherwise).</summary>
    public bool PullMissingImages { get; init; } = true;

    /// <summary>What runs the VMs: "qemu" (the default), "firecracker" or "flintlock" (docs/microvm.md).</summary>
    public string Backend { get; init; } = "qemu";

    /// <summary>The Firecracker backend's binary and guest kernel.</summary>
    public Firecracker.FirecrackerOptions Firecracker { get; init; } = new();

    /// <summary>The Flintlock backend's flintlockd address and the VMs' kernel.</summary>
    public Flintlock.FlintlockOptions Flintlock { get; init; } = new();
}
