using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Reads a sandbox's resource use from its cgroups (v1 or v2), what of it the host's controllers show.
/// </summary>
internal static class CgroupUsage
{
    public static SandboxUsage? Read(ICgroup? cgroup)
    {
        if (cgroup is null)
            return null;
        try
        {
            var memory =
                cgroup.ByController.TryGetValue("unified", out var unified) ? Number(unified, "memory.current")
                : cgroup.DirectoryOf("memory") is { } v1Memory ? Number(v1Memory, "memory.usage_in_bytes")
                : null;
            TimeSpan? cpu = null;
            if (unified is not null && CgroupFiles.ReadKeyed(unified, "cpu.stat", "usage_usec") is { } usec)
                cpu = TimeSpan.FromMicroseconds(usec);
            return new SandboxUsage(memory, cpu, cgroup.Pids().Count);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static long? Number(string directory, string file)
    {
        var path = Path.Combine(directory, file);
        return File.Exists(path) && long.TryParse(File.ReadAllText(path).Trim(), out var value) ? value : null;
    }
}
