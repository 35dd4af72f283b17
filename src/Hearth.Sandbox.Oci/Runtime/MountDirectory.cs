using Hearth.Sandbox.Oci.Unix;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// In a user namespace the runtime sets the container up as the container's root, which on the host is an ordinary
/// user: it must walk, by path, to the rootfs mount point and to every file bound into the container. Those go in a
/// directory per sandbox under a root the driver owns and keeps searchable by others (0711: walkable, not listable),
/// not in the scratch directory, whose parents may be private (<c>/root/…</c>). The sandbox's own directory is
/// root:BASE 0710 (docker's choice for its remapped root): the container's root may walk through it, host users not.
/// A parent of the root that others cannot search is an error naming it.
/// </summary>
internal static class MountDirectory
{
    private const UnixFileMode Walkable =
        UnixFileMode.UserRead
        | UnixFileMode.UserWrite
        | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute
        | UnixFileMode.OtherExecute;

    private const UnixFileMode GroupWalkable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute;

    public static string Create(string root, string sandboxId, IdMapping ids)
    {
        var rootInfo = Directory.CreateDirectory(Path.GetFullPath(root));
        rootInfo.UnixFileMode = Walkable;
        for (var parent = rootInfo.Parent; parent is not null; parent = parent.Parent)
            if (!parent.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
                throw new SandboxStartException(
                    $"{parent.FullName} is not searchable by others (mode {Convert.ToString((int)parent.UnixFileMode, 8)}), so a container in a user namespace cannot reach its rootfs in {rootInfo.FullName}; chmod o+x it or choose another UserNamespaceMountRoot"
                );
        var directory = Path.Combine(rootInfo.FullName, sandboxId);
        Directory.CreateDirectory(directory, GroupWalkable);
        Libc.LChown(directory, 0, ids.HostIdBase);
        File.SetUnixFileMode(directory, GroupWalkable);
        return directory;
    }
}
