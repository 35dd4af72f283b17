using Hearth.Sandbox.Oci.Unix;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>
/// Mounts the oci driver makes for a sandbox: its rootfs (overlay, or a bound copy) and sysfs, below
/// SCRATCH_ROOT/SANDBOX or, in a user namespace, below MOUNT_ROOT/SANDBOX. Removed with a detaching unmount.
/// </summary>
public sealed class OciMounts(string userNamespaceMountRoot) : IOrphanSource
{
    public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    ) => Task.FromResult(Discover(scratchRoots));

    private IReadOnlyList<MarkedResource> Discover(IReadOnlyCollection<string> scratchRoots)
    {
        var points = MountTable.MountPoints();
        var found = new List<MarkedResource>();
        var roots = scratchRoots
            .Select(r => (Root: SandboxOwner.Normalize(r), Owner: (string?)SandboxOwner.Normalize(r)))
            .Append((Root: Path.TrimEndingDirectorySeparator(Path.GetFullPath(userNamespaceMountRoot)), Owner: null));
        foreach (var (root, owner) in roots)
        {
            foreach (var point in points.Where(p => p.StartsWith(root + "/", StringComparison.Ordinal)).Distinct())
            {
                var sandbox = point[(root.Length + 1)..].Split('/')[0];
                if (!SandboxMarks.IsSandboxId(sandbox))
                    continue;
                found.Add(
                    new MarkedResource(ResourceKind.Mount, point, sandbox, owner)
                    {
                        Destroy = _ => Task.Run(() => Unmount(point)),
                    }
                );
            }
        }
        return found;
    }

    private static void Unmount(string point)
    {
        // Stacked mounts on one point come off one at a time.
        while (MountTable.MountPoints().Contains(point))
        {
            if (!Libc.Unmount(point))
                throw new IOException($"cannot unmount {point}");
        }
    }
}
