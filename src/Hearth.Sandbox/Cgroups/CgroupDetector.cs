namespace Hearth.Sandbox.Cgroups;

/// <summary>What cgroup support the host offers: a limiter, or why there is none.</summary>
internal sealed record CgroupSupport(ICgroupLimiter? Limiter, string? Reason)
{
    public string Version => Limiter?.Version ?? "none";

    /// <summary>Creates the sandbox's cgroups; null when there are none and none are needed.</summary>
    public ICgroup? Create(string sandboxId, ResourceLimits limits)
    {
        if (limits.MemoryBytes is <= 0 || limits.Pids is <= 0)
        {
            throw new SandboxStartException($"memory and pids limits must be positive (memory {limits.MemoryBytes}, pids {limits.Pids})");
        }
        if (Limiter is not null)
        {
            return Limiter.Create(sandboxId, limits);
        }
        if (!limits.IsEmpty)
        {
            throw new SandboxStartException($"the spec asks for resource limits but cgroups are unavailable: {Reason}");
        }
        return null;
    }

    /// <summary>Fingerprint attributes: cgroup version and working controllers.</summary>
    public void Describe(IDictionary<string, string> attributes)
    {
        attributes["cgroup"] = Version;
        if (Limiter is not null)
        {
            attributes["cgroup.controllers"] = string.Join(',', Limiter.Controllers.Order());
        }
    }

    public bool EnforcesAllLimits =>
        Limiter is not null && new[] { "cpu", "memory", "pids" }.All(Limiter.Controllers.Contains);
}

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

        var useV1 = options.Mode == CgroupMode.V1 ||
                    (options.Mode == CgroupMode.Auto && new[] { "memory", "pids", "cpu" }.Any(mounts.V1ByController.ContainsKey));
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
