using System.Collections.Concurrent;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Emptied directories of one parent, kept under hidden names and renamed into place instead of created anew. A fleet
/// agent makes a scratch directory and two tracking cgroups per task; on ext4 and in cgroupfs two renames cost about
/// half of a mkdir and an rmdir (22 µs against 40–54 µs here), and ext4 need not allocate and free an inode each time.
/// </summary>
/// <param name="noReplace">
/// Rename with RENAME_NOREPLACE, so a directory already at the target is never replaced (ext4 would replace an empty
/// one). cgroupfs refuses the flag but never replaces anything either.
/// </param>
internal sealed class IdleDirectories(string parent, int capacity, bool noReplace)
{
    /// <summary>
    /// The name every kept directory starts with: whatever carries it under a parent is Hearth's to reuse or remove.
    /// </summary>
    public const string Prefix = ".hearth-idle-";

    private const int AtCwd = -100;
    private const uint RenameNoReplace = 1;

    private readonly ConcurrentStack<string> _idle = new();
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>
    /// Moves a kept directory to <paramref name="path"/> (which must not exist); false when none could be (create it
    /// then).
    /// </summary>
    public bool TryTake(string path)
    {
        while (_idle.TryPop(out var idle))
        {
            Interlocked.Decrement(ref _count);
            if (Rename(idle, path))
                return true;
            // Removed or changed behind our back: drop it and try the next.
            TryRemove(idle);
        }
        return false;
    }

    /// <summary>
    /// Keeps the emptied directory <paramref name="path"/> for a later <see cref="TryTake"/>; false when it was not
    /// kept (remove it then).
    /// </summary>
    public bool TryKeep(string path)
    {
        var kept = Path.Join(parent, Prefix + Guid.NewGuid().ToString("N"));
        if (Interlocked.Increment(ref _count) > capacity || !Rename(path, kept))
        {
            Interlocked.Decrement(ref _count);
            return false;
        }
        // Offered only once the rename is done, so that a taker never sees a name not yet in place.
        _idle.Push(kept);
        return true;
    }

    private bool Rename(string from, string to) =>
        Native.RenameAt2(AtCwd, from, AtCwd, to, noReplace ? RenameNoReplace : 0) == 0;

    /// <summary>
    /// A pool for <paramref name="parent"/> holding the kept directories already there (an earlier agent's) that are
    /// still <paramref name="unused"/>, up to its capacity; the others are removed if they can be.
    /// </summary>
    public static IdleDirectories Adopt(string parent, int capacity, bool noReplace, Func<string, bool> unused)
    {
        var pool = new IdleDirectories(parent, capacity, noReplace);
        try
        {
            foreach (var kept in Directory.EnumerateDirectories(parent, Prefix + "*"))
            {
                if (pool._count < capacity && unused(kept))
                {
                    pool._idle.Push(kept);
                    pool._count++;
                }
                else
                {
                    TryRemove(kept);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No parent yet: nothing to adopt.
        }
        return pool;
    }

    private static void TryRemove(string directory)
    {
        try
        {
            Directory.Delete(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
