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
            throw new SandboxStartException(
                $"memory and pids limits must be positive (memory {limits.MemoryBytes}, pids {limits.Pids})"
            );
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

    /// <summary>The group a sandbox handle names; null when it names none.</summary>
    public ICgroup? Reopen(IReadOnlyDictionary<string, string> byController)
    {
        // Removed already (a second destroy): nothing to reopen.
        var left = byController.Where(c => Directory.Exists(c.Value)).ToDictionary();
        if (left.Count == 0)
            return null;
        return Limiter?.Reopen(left)
            ?? throw new SandboxRecoveryException("the handle names cgroups but this host has none");
    }

    /// <summary>The limits enforced here, by name (cpu, memory, pids).</summary>
    public IReadOnlyList<string> EnforcedLimits =>
        Limiter is null ? [] : new[] { "cpu", "memory", "pids" }.Where(Limiter.Controllers.Contains).ToList();

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
