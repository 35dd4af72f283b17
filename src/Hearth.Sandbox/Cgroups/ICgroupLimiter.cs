namespace Hearth.Sandbox.Cgroups;

/// <summary>Creates one cgroup (set) per sandbox on a host where cgroups were found to work.</summary>
internal interface ICgroupLimiter
{
    /// <summary>"v1" or "v2".</summary>
    string Version { get; }

    /// <summary>Controllers that were probed and work: any of cpu, memory, pids, freezer.</summary>
    IReadOnlySet<string> Controllers { get; }

    /// <summary>Why a controller does not work, for the ones that do not.</summary>
    IReadOnlyDictionary<string, string> Unavailable { get; }

    /// <summary>
    /// Creates the sandbox's cgroups with <paramref name="limits"/> applied.
    /// Throws <see cref="SandboxStartException"/> when a requested limit cannot be enforced.
    /// </summary>
    ICgroup Create(string sandboxId, ResourceLimits limits);

    /// <summary>
    /// The group an earlier agent created, from its <see cref="ICgroup.ByController"/> (after a restart).
    /// </summary>
    ICgroup Reopen(IReadOnlyDictionary<string, string> byController);
}
