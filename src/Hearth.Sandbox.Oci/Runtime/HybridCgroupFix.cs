using System.Diagnostics;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// crun refuses "hybrid" hosts: cgroup v1 hierarchies plus a cgroup2 mount that holds a controller
/// (here: hugetlb). Mounting hugetlb as a v1 hierarchy moves it out of cgroup2 and crun then works.
/// The change lasts until reboot, so it is made only when asked for, and only after checking it is needed.
/// </summary>
internal static class HybridCgroupFix
{
    private const string Unified = "/sys/fs/cgroup/unified/cgroup.controllers";
    private const string HugetlbHierarchy = "/sys/fs/cgroup/hugetlb";

    /// <summary>True when a controller sits in the cgroup2 mount of a v1 host.</summary>
    public static bool IsNeeded()
    {
        if (!File.Exists(Unified))
            return false;
        return File.ReadAllText(Unified)
                .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Length > 0;
    }

    public static async Task ApplyAsync(CancellationToken cancellationToken)
    {
        if (!IsNeeded())
            return;
        var controllers = File.ReadAllText(Unified)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (controllers is not ["hugetlb"])
            throw new SandboxStartException(
                $"cgroup2 holds controllers {string.Join(',', controllers)}; only hugetlb can be moved"
            );
        Directory.CreateDirectory(HugetlbHierarchy);
        var start = new ProcessStartInfo("mount") { RedirectStandardError = true };
        foreach (var arg in new[] { "-t", "cgroup", "-o", "hugetlb", "cgroup", HugetlbHierarchy })
            start.ArgumentList.Add(arg);
        using var mount = Process.Start(start) ?? throw new SandboxStartException("cannot start mount");
        var error = await mount.StandardError.ReadToEndAsync(cancellationToken);
        await mount.WaitForExitAsync(cancellationToken);
        if (mount.ExitCode != 0 && IsNeeded())
            throw new SandboxStartException($"mounting the hugetlb hierarchy failed: {error.Trim()}");
    }
}
