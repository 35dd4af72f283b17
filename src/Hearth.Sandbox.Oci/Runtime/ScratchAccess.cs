namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// In a user namespace the runtime sets the container up as the container's root, which on the host is an ordinary
/// user: it must be able to walk to the bundle's rootfs and the files bound into it. The sandbox's own directories
/// get search permission for others (0711: walkable, not listable); the agent's shared scratch root gets its search
/// bit for others added; a directory above that lacks it is an error naming it.
/// </summary>
internal static class ScratchAccess
{
    private const UnixFileMode Walkable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static void OpenForContainerRoot(string scratchRoot, string scratch, string bundle)
    {
        File.SetUnixFileMode(scratch, Walkable);
        File.SetUnixFileMode(bundle, Walkable);
        var root = new DirectoryInfo(Path.GetFullPath(scratchRoot));
        if (!root.UnixFileMode.HasFlag(UnixFileMode.OtherExecute)) root.UnixFileMode |= UnixFileMode.OtherExecute;
        for (var parent = root.Parent; parent is not null; parent = parent.Parent)
            if (!parent.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
                throw new SandboxStartException(
                    $"{parent.FullName} is not searchable by others (mode {Convert.ToString((int)parent.UnixFileMode, 8)}): a container in a user namespace cannot reach its scratch directory below it; chmod o+x it or move the scratch root");
    }
}
