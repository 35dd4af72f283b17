using Hearth.Sandbox.Oci.Unix;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// A workspace bound into a container is handed to the user the container's process runs as (the image's user, shifted
/// into the user namespace's range when there is one), so that the job can write its checkout as it would its own
/// files. Symbolic links are changed themselves, never followed. Nothing to do for root without a user namespace.
/// </summary>
internal static class WorkspaceOwner
{
    public static void Give(string workspace, ProcessPlan plan, IdMapping? ids)
    {
        var uid = plan.Uid + (uint)(ids?.HostIdBase ?? 0);
        var gid = plan.Gid + (uint)(ids?.HostIdBase ?? 0);
        if (uid == 0 && gid == 0)
            return;
        try
        {
            Libc.LChown(workspace, uid, gid);
            var all = new EnumerationOptions
            {
                RecurseSubdirectories = true,
                AttributesToSkip = 0,
                IgnoreInaccessible = false,
            };
            foreach (var entry in Directory.EnumerateFileSystemEntries(workspace, "*", all))
                Libc.LChown(entry, uid, gid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException(
                $"cannot hand the workspace {workspace} to the container's user: {e.Message}",
                e
            );
        }
    }
}
