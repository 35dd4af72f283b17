namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>What the host's cgroups offer, and where a container's memory cgroup can be read.</summary>
internal sealed class CgroupSupport
{
    private const string Root = "/sys/fs/cgroup";

    public CgroupSupport()
    {
        IsUnified = File.Exists(Path.Combine(Root, "cgroup.controllers"));
        SwapAccounting = IsUnified
            ? File.Exists(Path.Combine(Root, "memory.swap.max"))
                || Directory.EnumerateFiles(Root, "memory.swap.max", SearchOption.TopDirectoryOnly).Any()
            : File.Exists(Path.Combine(Root, "memory", "memory.memsw.limit_in_bytes"));
    }

    /// <summary>cgroup v2 only (no v1 hierarchies).</summary>
    public bool IsUnified { get; }

    public bool SwapAccounting { get; }

    /// <summary>The container's memory use now, or null if it cannot be read.</summary>
    public long? ReadMemoryUsage(string cgroupsPath)
    {
        var relative = cgroupsPath.TrimStart('/');
        var file = IsUnified
            ? Path.Combine(Root, relative, "memory.current")
            : Path.Combine(Root, "memory", relative, "memory.usage_in_bytes");
        try
        {
            return long.TryParse(File.ReadAllText(file).Trim(), out var bytes) ? bytes : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>How many times the OOM killer acted in the container's memory cgroup; 0 if it cannot be read.</summary>
    public long ReadOomKills(string cgroupsPath)
    {
        var relative = cgroupsPath.TrimStart('/');
        var (file, key) = IsUnified
            ? (Path.Combine(Root, relative, "memory.events"), "oom_kill")
            : (Path.Combine(Root, "memory", relative, "memory.oom_control"), "oom_kill");
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], out var count))
                    return count;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 0;
    }
}
