using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>
/// A sandbox's lease on its image (STORE/leases/SANDBOX), which keeps the image from garbage collection.
/// </summary>
public sealed class ImageLeases(string imageStoreRoot) : IOrphanSource
{
    public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    ) => Task.FromResult(Discover(scratchRoots));

    private IReadOnlyList<MarkedResource> Discover(IReadOnlyCollection<string> scratchRoots)
    {
        var leases = Path.Combine(imageStoreRoot, "leases");
        if (!Directory.Exists(leases))
            return [];
        return Directory
            .EnumerateFiles(leases)
            .Where(f => SandboxMarks.IsSandboxId(Path.GetFileName(f)))
            .Select(f => new MarkedResource(ResourceKind.ImageLease, f, Path.GetFileName(f), null)
            {
                Destroy = _ => Task.Run(() => File.Delete(f)),
            })
            .ToList();
    }
}
