namespace Hearth.Sandbox.Reaping;

/// <summary>Finds one family of marked resources on this host (processes, cgroups, containers…).</summary>
public interface IOrphanSource
{
    /// <summary>
    /// Every resource of this family carrying Hearth's mark, whoever owns it. <paramref name="scratchRoots"/> are the
    /// owners' scratch roots to look in, for the families that live below them (directories, mounts).
    /// </summary>
    Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    );
}
