namespace Hearth.Sandbox.Reaping;

/// <summary>
/// The sources for what the process and bubblewrap drivers make: processes, cgroups, scratch directories.
/// </summary>
public static class HostOrphanSources
{
    public static IReadOnlyList<IOrphanSource> Create(TimeProvider time, CgroupOptions? cgroups = null)
    {
        var parent = Path.GetFileName((cgroups ?? new CgroupOptions()).Parent.TrimEnd('/'));
        return
        [
            new MarkedProcesses(time),
            new SandboxCgroups(time, (cgroups ?? new CgroupOptions()).MountRoot, [parent]),
            new ScratchDirectories(),
        ];
    }
}
