namespace Hearth.Sandbox.Cgroups;

/// <summary>A mounted cgroup hierarchy and where this process sits in it.</summary>
/// <param name="MountPoint">e.g. /sys/fs/cgroup/memory or /sys/fs/cgroup.</param>
/// <param name="OwnDirectory">This process's cgroup directory in the hierarchy.</param>
/// <param name="Controllers">v1 controllers of the hierarchy; empty for v2.</param>
internal sealed record CgroupHierarchy(string MountPoint, string OwnDirectory, IReadOnlyList<string> Controllers);

/// <summary>The cgroup hierarchies of this host, read from /proc/self/mountinfo and /proc/self/cgroup.</summary>
internal sealed record CgroupMounts(IReadOnlyDictionary<string, CgroupHierarchy> V1ByController, CgroupHierarchy? V2)
{
    public static CgroupMounts Read(string mountRoot) =>
        Parse(File.ReadAllLines("/proc/self/mountinfo"), File.ReadAllLines("/proc/self/cgroup"), mountRoot);

    public static CgroupMounts Parse(IEnumerable<string> mountInfo, IEnumerable<string> ownCgroups, string mountRoot)
    {
        // /proc/self/cgroup: "4:memory:/a/b", "1:cpu,cpuacct:/", "0::/" (v2).
        var ownV1 = new Dictionary<string, string>();
        string? ownV2 = null;
        foreach (var line in ownCgroups)
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }
            if (parts[0] == "0" && parts[1].Length == 0)
            {
                ownV2 = parts[2];
                continue;
            }
            foreach (var controller in parts[1].Split(','))
            {
                ownV1[controller] = parts[2];
            }
        }

        var v1 = new Dictionary<string, CgroupHierarchy>();
        CgroupHierarchy? v2 = null;
        // mountinfo: "36 25 0:31 / /sys/fs/cgroup/memory rw,relatime shared:13 - cgroup cgroup rw,memory"
        foreach (var line in mountInfo)
        {
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0)
            {
                continue;
            }
            var head = line[..separator].Split(' ');
            var tail = line[(separator + 3)..].Split(' ');
            if (head.Length < 5 || tail.Length < 3)
            {
                continue;
            }
            var root = Reaping.MountTable.Unescape(head[3]);
            var mountPoint = Reaping.MountTable.Unescape(head[4]);
            if (!IsUnder(mountPoint, mountRoot))
            {
                continue;
            }
            if (tail[0] == "cgroup2" && ownV2 is not null)
            {
                v2 = new CgroupHierarchy(mountPoint, Join(mountPoint, CgroupFiles.Relative(ownV2, root)), []);
            }
            else if (tail[0] == "cgroup")
            {
                var controllers = tail[2].Split(',').Where(ownV1.ContainsKey).ToList();
                if (controllers.Count == 0)
                {
                    continue;
                }
                var own = Join(mountPoint, CgroupFiles.Relative(ownV1[controllers[0]], root));
                var hierarchy = new CgroupHierarchy(mountPoint, own, controllers);
                foreach (var controller in controllers)
                {
                    v1.TryAdd(controller, hierarchy);
                }
            }
        }
        return new CgroupMounts(v1, v2);
    }

    private static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    private static string Join(string mountPoint, string relative) =>
        relative.Length == 0 ? mountPoint : Path.Combine(mountPoint, relative);
}
