using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>
/// A sandbox's directory below the user-namespace mount root (MOUNT_ROOT/SANDBOX), once its mounts are gone.
/// </summary>
public sealed class MountDirectories(string userNamespaceMountRoot) : IOrphanSource
{
    public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    )
    {
        IReadOnlyList<MarkedResource> found = !Directory.Exists(userNamespaceMountRoot)
            ? []
            : Directory
                .EnumerateDirectories(userNamespaceMountRoot)
                .Where(d => SandboxMarks.IsSandboxId(Path.GetFileName(d)))
                .Select(d => new MarkedResource(ResourceKind.Directory, d, Path.GetFileName(d), null)
                {
                    Destroy = _ => Task.Run(() => ScratchDirectories.Remove(d)),
                })
                .ToList();
        return Task.FromResult(found);
    }
}
