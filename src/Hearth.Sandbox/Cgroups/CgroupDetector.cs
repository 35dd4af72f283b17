namespace Hearth.Sandbox.Cgroups;

/// <summary>Finds which cgroup version and controllers this host offers, probing them for real.</summary>
internal static class CgroupDetector
{
    public static CgroupSupport Detect(CgroupOptions options, TimeProvider time)
    {
        if (options.Mode == CgroupMode.Disabled)
        {
            return new CgroupSupport(null, "cgroups are disabled in the agent's options");
        }
        CgroupMounts mounts;
        try
        {
            mounts = CgroupMounts.Read(options.MountRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CgroupSupport(null, $"cannot read the cgroup mounts: {e.Message}");
        }

        var useV1 =
            options.Mode == CgroupMode.V1
            || (
                options.Mode == CgroupMode.Auto
                && new[] { "memory", "pids", "cpu" }.Any(mounts.V1ByController.ContainsKey)
            );
        ICgroupLimiter limiter;
        if (useV1)
        {
            limiter = CgroupV1Limiter.Probe(mounts, options, time);
        }
        else if (mounts.V2 is { } unified)
        {
            limiter = CgroupV2Limiter.Probe(unified, options, time);
        }
        else
        {
            return new CgroupSupport(null, $"no cgroup hierarchy is mounted under {options.MountRoot}");
        }
        if (limiter.Controllers.Count == 0)
        {
            var why = string.Join("; ", limiter.Unavailable.Select(kv => $"{kv.Key}: {kv.Value}"));
            return new CgroupSupport(null, $"no cgroup {limiter.Version} controller is usable ({why})");
        }
        return new CgroupSupport(limiter, null);
    }
}
