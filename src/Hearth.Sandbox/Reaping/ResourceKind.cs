namespace Hearth.Sandbox.Reaping;

/// <summary>
/// What the reaper removes, in the order it removes them: what holds a resource goes before the resource.
/// </summary>
public enum ResourceKind
{
    /// <summary>A host process carrying the sandbox's environment mark.</summary>
    Process,

    /// <summary>An OCI container in one of Hearth's runtime state directories.</summary>
    Container,

    /// <summary>A mount (overlay rootfs, bind mount, sysfs) below a sandbox's scratch or mount directory.</summary>
    Mount,

    /// <summary>A sandbox's cgroup (every v1 hierarchy, or v2) below a <c>hearth</c> parent.</summary>
    Cgroup,

    /// <summary>A network namespace <c>hearth-SANDBOX</c> in /run/netns.</summary>
    NetworkNamespace,

    /// <summary>The host end of a sandbox's veth pair, named from the address its bridge allocation holds.</summary>
    Veth,

    /// <summary>A sandbox's published ports in the bridge's nftables maps, with its address allocation.</summary>
    NftRule,

    /// <summary>
    /// A named network's bridge (and its nftables table) with no sandbox left on it, marked by the last one.
    /// </summary>
    Bridge,

    /// <summary>A sandbox's lease on an image in the image store.</summary>
    ImageLease,

    /// <summary>A sandbox's scratch or mount directory.</summary>
    Directory,
}
