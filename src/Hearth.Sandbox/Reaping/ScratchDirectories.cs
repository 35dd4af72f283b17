using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Reaping;

/// <summary>
/// Sandbox directories in owners' scratch roots: entries named by a sandbox id (scratch directories, OCI bundles, task
/// workspaces). Hidden entries (kept empty directories, the agent's lock) are the drivers' own business. A directory
/// with a mount still below it is not removed: the mounts go first, and one that would not go leaves it in place.
/// </summary>
public sealed class ScratchDirectories : IOrphanSource
{
    public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    ) => Task.FromResult(Discover(scratchRoots));

    private IReadOnlyList<MarkedResource> Discover(IReadOnlyCollection<string> scratchRoots)
    {
        var found = new List<MarkedResource>();
        foreach (var root in scratchRoots)
        {
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateDirectories(root).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var entry in entries)
            {
                var name = Path.GetFileName(entry);
                if (!SandboxMarks.IsSandboxId(name))
                    continue;
                found.Add(
                    new MarkedResource(ResourceKind.Directory, entry, name, SandboxOwner.Normalize(root))
                    {
                        Destroy = _ => Task.Run(() => Remove(entry)),
                    }
                );
            }
        }
        return found;
    }

    /// <summary>
    /// Removes <paramref name="directory"/> and everything in it, opening up what the command closed; never across a
    /// mount.
    /// </summary>
    public static void Remove(string directory)
    {
        if (!Directory.Exists(directory))
            return;
        if (MountTable.Below(directory).FirstOrDefault() is { } mounted)
            throw new IOException($"{mounted} is still mounted");
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (UnauthorizedAccessException)
        {
            foreach (
                var child in Directory.EnumerateDirectories(
                    directory,
                    "*",
                    new EnumerationOptions
                    {
                        RecurseSubdirectories = true,
                        IgnoreInaccessible = true,
                        AttributesToSkip = FileAttributes.ReparsePoint,
                    }
                )
            )
            {
                File.SetUnixFileMode(child, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(directory, recursive: true);
        }
    }
}
