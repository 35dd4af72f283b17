using Hearth.Sandbox.Cgroups;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Reaping;

/// <summary>
/// Sandbox cgroups: directories named by a sandbox id right below a directory named like a Hearth cgroup parent
/// (<c>hearth</c>, as <see cref="CgroupOptions.Parent"/> and the oci driver's cgroup parent end), anywhere in every
/// mounted hierarchy: the agent's own cgroup may have changed since they were made. Removed by killing what is left in
/// them, then rmdir from the deepest down.
/// </summary>
public sealed class SandboxCgroups(
    TimeProvider time,
    string mountRoot = "/sys/fs/cgroup",
    IReadOnlyCollection<string>? parentNames = null
) : IOrphanSource
{
    private const int MaxDepth = 8;
    private static readonly TimeSpan EmptyTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyCollection<string> _parents = parentNames ?? ["hearth"];

    public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    ) => Task.FromResult(Discover(scratchRoots));

    private IReadOnlyList<MarkedResource> Discover(IReadOnlyCollection<string> scratchRoots)
    {
        CgroupMounts mounts;
        try
        {
            mounts = CgroupMounts.Read(mountRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var hierarchies = mounts
            .V1ByController.Values.Select(h => h.MountPoint)
            .Concat(mounts.V2 is { } v2 ? [v2.MountPoint] : [])
            .Distinct(StringComparer.Ordinal);
        var found = new List<MarkedResource>();
        foreach (var hierarchy in hierarchies)
            Walk(hierarchy, 0, found);
        return found;
    }

    private void Walk(string directory, int depth, List<MarkedResource> found)
    {
        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateDirectories(directory).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        var isParent = depth > 0 && _parents.Contains(Path.GetFileName(directory));
        foreach (var child in children)
        {
            var name = Path.GetFileName(child);
            if (isParent && SandboxMarks.IsSandboxId(name))
            {
                found.Add(
                    new MarkedResource(ResourceKind.Cgroup, child, name, null)
                    {
                        Destroy = ct => RemoveAsync(child, ct),
                    }
                );
            }
            else if (depth < MaxDepth)
            {
                Walk(child, depth + 1, found);
            }
        }
    }

    private Task RemoveAsync(string cgroup, CancellationToken cancellationToken) =>
        RemoveTreeAsync(cgroup, time, cancellationToken);

    /// <summary>The directories a sandbox's cgroups path names, in every mounted hierarchy where it exists.</summary>
    internal static IReadOnlyList<string> Existing(string cgroupsPath, string mountRoot = "/sys/fs/cgroup")
    {
        var mounts = CgroupMounts.Read(mountRoot);
        var relative = cgroupsPath.TrimStart('/');
        return mounts
            .V1ByController.Values.Select(h => h.MountPoint)
            .Concat(mounts.V2 is { } v2 ? [v2.MountPoint] : [])
            .Distinct(StringComparer.Ordinal)
            .Select(m => Path.Combine(m, relative))
            .Where(Directory.Exists)
            .ToList();
    }

    /// <summary>Kills what is left in a cgroup and below it, then removes the directories, deepest first.</summary>
    internal static async Task RemoveTreeAsync(string cgroup, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(cgroup))
            return;
        var below = Directory
            .EnumerateDirectories(cgroup, "*", SearchOption.AllDirectories)
            .OrderByDescending(d => d.Length)
            .Append(cgroup)
            .ToList();
        foreach (var directory in below)
        {
            var started = time.GetTimestamp();
            if (File.Exists(Path.Combine(directory, "cgroup.kill")))
            {
                TryWrite(directory, "cgroup.kill", "1");
            }
            while (CgroupFiles.ReadPids(directory) is { Count: > 0 } pids)
            {
                foreach (var pid in pids)
                {
                    if (pid != Environment.ProcessId)
                        Native.Kill(pid, Native.SigKill);
                }
                if (time.GetElapsedTime(started) > EmptyTimeout)
                    throw new IOException($"cgroup {directory} still holds processes {string.Join(' ', pids)}");
                await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken).ConfigureAwait(false);
            }
            await CgroupFiles.RemoveAsync(directory, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static void TryWrite(string directory, string file, string value)
    {
        try
        {
            CgroupFiles.Write(directory, file, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Killed one by one below instead.
        }
    }
}
