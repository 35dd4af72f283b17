namespace Hearth.Sandbox;

public enum CgroupMode
{
    /// <summary>v1 controllers where the host mounts them, else the v2 unified hierarchy.</summary>
    Auto,
    V1,
    V2,

    /// <summary>Never use cgroups: specs that ask for limits fail to start.</summary>
    Disabled,
}

/// <summary>Where and how sandboxes get their cgroups.</summary>
public sealed class CgroupOptions
{
    public CgroupMode Mode { get; init; } = CgroupMode.Auto;

    /// <summary>Where cgroup hierarchies are mounted.</summary>
    public string MountRoot { get; init; } = "/sys/fs/cgroup";

    /// <summary>
    /// Parent of the per-sandbox cgroups. Relative: below the agent's own cgroup in each hierarchy, so the
    /// agent's own limits keep applying to its sandboxes. Absolute ("/hearth"): from the hierarchy's root.
    /// On v2 the parent must be a subtree the agent may enable controllers in (a delegated subtree).
    /// </summary>
    public string Parent { get; init; } = "hearth";

    /// <summary>CFS period used for CPU quotas.</summary>
    public TimeSpan CpuPeriod { get; init; } = TimeSpan.FromMilliseconds(100);
}
