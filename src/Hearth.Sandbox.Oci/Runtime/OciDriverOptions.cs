using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Networking;

namespace Hearth.Sandbox.Oci.Runtime;

public enum RootfsMode
{
    /// <summary>overlayfs when the kernel allows it on the scratch directory, else a copy.</summary>
    Auto,
    Overlay,
    Copy,
}

public sealed record OciDriverOptions
{
    /// <summary>
    /// The OCI runtime binary: "runc" or "crun", or a full path (<see cref="OciRuntimeSelector"/> resolves "auto").
    /// </summary>
    public string Runtime { get; init; } = "runc";

    /// <summary>
    /// The runtime for runs with a memory limit, when it must differ from <see cref="Runtime"/>: on cgroup v1 only runc
    /// keeps a stopped container, which is what lets the OOM counter be read. Null: <see cref="Runtime"/> runs
    /// everything.
    /// </summary>
    public string? MemoryLimitedRuntime { get; init; }

    /// <summary>The runtime's state directory (its <c>--root</c>); must be on a local filesystem.</summary>
    public string StateRoot { get; init; } = "/run/hearth/oci";

    /// <summary>Containers' cgroups are created under this path (absolute within each hierarchy).</summary>
    public string CgroupParent { get; init; } = "/hearth";

    /// <summary>Pull an image that is not in the store when a sandbox asks for it.</summary>
    public bool PullMissingImages { get; init; } = true;

    public RootfsMode RootfsMode { get; init; } = RootfsMode.Auto;

    /// <summary>Apply Hearth's seccomp profile (blocks kernel-administration syscalls).</summary>
    public bool Seccomp { get; init; } = true;

    /// <summary>
    /// For crun on a cgroup v1 host whose only v2 controller is hugetlb ("hybrid mode"): mount hugetlb as a
    /// v1 hierarchy first. This changes the host until reboot, so it is off unless asked for.
    /// </summary>
    public bool FixHybridCgroupsForCrun { get; init; }

    /// <summary>
    /// Runs containers in a user namespace whose ids 0..Size-1 are host ids HostIdBase.. (docker's userns-remap): the
    /// container's root is not the host's. Images are unpacked once per range with their owners shifted. Null: off.
    /// <see cref="UserNamespaceSelector"/> turns "auto", "off" or "BASE:SIZE" into this.
    /// </summary>
    public IdMapping? UserNamespace { get; init; }

    /// <summary>
    /// With <see cref="UserNamespace"/>: where each sandbox's rootfs is mounted, with the files bound into it, in a
    /// directory per sandbox. The container's root must be able to walk to it, so its parents must be searchable by
    /// others; what the container writes stays in its scratch directory.
    /// </summary>
    public string UserNamespaceMountRoot { get; init; } = "/run/hearth/oci-mounts";

    /// <summary>The bridge network for sandboxes that ask for a network (none is the default).</summary>
    public OciNetworkOptions Network { get; init; } = new();

    /// <summary>
    /// Where a sandbox's <see cref="SandboxSpec.WorkspaceDirectory"/> (a checkout the agent made on the host) is bound
    /// in the container, read-write; it is then the command's working directory.
    /// </summary>
    public string WorkspacePath { get; init; } = "/workspace";

    /// <summary>
    /// The capabilities a sandbox may add beyond the baseline (<c>--oci-allow-caps</c>; names without <c>CAP_</c>,
    /// <c>ALL</c> for every one). Null: <see cref="LinuxCapabilities.DefaultAllowed"/> for this driver's user
    /// namespace.
    /// </summary>
    public IReadOnlyList<string>? AllowedCapabilities { get; init; }

    /// <summary>What <see cref="AllowedCapabilities"/> comes to.</summary>
    public IReadOnlyList<string> CapabilitiesAllowed =>
        AllowedCapabilities ?? LinuxCapabilities.DefaultAllowed(UserNamespace is not null);

    /// <summary>How long startup may take before the sandbox is declared failed.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
