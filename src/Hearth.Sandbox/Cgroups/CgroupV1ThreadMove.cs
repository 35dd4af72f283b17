using System.Runtime.InteropServices;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Cgroups;

/// <summary>
/// The calling thread, moved into a sandbox's v1 cgroups so that the process it spawns next starts inside them;
/// disposing moves it back to where it was. A thread moving itself (writing "0" to a hierarchy's <c>tasks</c>) skips
/// the global lock that moving another process takes, which waits for an RCU grace period: about 20 µs for the round
/// trip here, against 0.7 ms for one <c>cgroup.procs</c> write of a child's pid per hierarchy.
/// </summary>
/// <remarks>
/// A thread created by this one while it is inside would stay in the sandbox's cgroups, be frozen and killed with it,
/// and make the agent's pid one of the sandbox's. So between the first move in and the last move out nothing runs
/// that allocates managed memory (a garbage collection could start the runtime's background GC thread) or wakes the
/// runtime: every path is encoded before, and the moves are bare open/write/close calls.
/// </remarks>
internal sealed unsafe class CgroupV1ThreadMove : IDisposable
{
    private const long RereadAfterMs = 10_000;

    [ThreadStatic]
    private static Dictionary<string, string>? _homePaths;

    [ThreadStatic]
    private static long _homePathsReadAt;

    private readonly nint[] _targets;
    private readonly nint[] _homes;
    private readonly string[] _homeNames;
    private readonly Action? _afterLeaving;
    private int _entered;

    private CgroupV1ThreadMove(nint[] targets, nint[] homes, string[] homeNames, Action? afterLeaving)
    {
        _targets = targets;
        _homes = homes;
        _homeNames = homeNames;
        _afterLeaving = afterLeaving;
    }

    /// <param name="targets">Controller → the sandbox's directory for it.</param>
    /// <param name="mountPoints">Controller → its hierarchy's mount point.</param>
    /// <param name="afterLeaving">Runs once the thread is back home (e.g. lowering pids.max by the one task it
    /// was).</param>
    public static CgroupV1ThreadMove Enter(
        IReadOnlyDictionary<string, string> targets,
        IReadOnlyDictionary<string, string> mountPoints,
        Action? afterLeaving
    )
    {
        var current = CurrentPaths();
        var targetTasks = new List<nint>();
        var homeTasks = new List<nint>();
        var homeNames = new List<string>();
        var targetNames = new List<string>();
        foreach (var (controller, target) in targets)
        {
            targetNames.Add(target);
            var mountPoint = mountPoints[controller];
            var home = current.TryGetValue(controller, out var path) ? Path.Join(mountPoint, path) : mountPoint;
            targetTasks.Add((nint)Native.Utf8(Path.Join(target, "tasks")));
            homeTasks.Add((nint)Native.Utf8(Path.Join(home, "tasks")));
            homeNames.Add(home);
        }
        var move = new CgroupV1ThreadMove([.. targetTasks], [.. homeTasks], [.. homeNames], afterLeaving);
        // From here to Dispose: no managed allocation (see remarks).
        for (var i = 0; i < move._targets.Length; i++)
        {
            var error = WriteZero(move._targets[i]);
            if (error != 0)
            {
                move.Dispose();
                throw new IOException(
                    $"cannot move the spawner thread into {targetNames[i]}: {Marshal.GetPInvokeErrorMessage(error)}"
                );
            }
            move._entered = i + 1;
        }
        return move;
    }

    public void Dispose()
    {
        var failed = -1;
        var failure = 0;
        for (var i = 0; i < _entered; i++)
        {
            var error = WriteZero(_homes[i]);
            if (error != 0 && failed < 0)
                (failed, failure) = (i, error);
        }
        _entered = 0;
        foreach (var pointer in _targets.Concat(_homes))
            NativeMemory.Free((void*)pointer);
        Array.Clear(_targets);
        Array.Clear(_homes);
        if (failed >= 0)
        {
            // The thread stays in a sandbox's cgroup: that sandbox's kill would see the agent. Nothing may go on.
            throw new InvalidOperationException(
                $"cannot move the sandbox spawner thread back to {_homeNames[failed]}: {Marshal.GetPInvokeErrorMessage(failure)}"
            );
        }
        _afterLeaving?.Invoke();
    }

    /// <summary>
    /// Writes "0" to the file at <paramref name="path"/> (a NUL-terminated UTF-8 string); 0 or an errno.
    /// </summary>
    private static int WriteZero(nint path)
    {
        if (path == 0)
            return 0;
        var fd = Native.Open((byte*)path, Native.OpenWriteOnly | Native.CloseOnExec);
        if (fd < 0)
            return Marshal.GetLastPInvokeError();
        byte zero = (byte)'0';
        var written = Native.Write(fd, &zero, 1);
        var error = written == 1 ? 0 : Marshal.GetLastPInvokeError();
        Native.Close(fd);
        return error;
    }

    /// <summary>
    /// Controller → this thread's cgroup path, from <c>/proc/thread-self/cgroup</c> ("ID:c1,c2:/path"). Read again at
    /// most every 10 s: the file costs more than the move itself, and the agent's own cgroups change only when an
    /// operator moves the agent (its spawner thread follows within that time).
    /// </summary>
    private static Dictionary<string, string> CurrentPaths()
    {
        var now = Environment.TickCount64;
        if (_homePaths is null || now - _homePathsReadAt > RereadAfterMs)
        {
            _homePaths = ReadPaths();
            _homePathsReadAt = now;
        }
        return _homePaths;
    }

    private static Dictionary<string, string> ReadPaths()
    {
        var paths = new Dictionary<string, string>();
        foreach (var line in File.ReadAllLines("/proc/thread-self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3 || parts[1].Length == 0)
            {
                continue;
            }
            foreach (var controller in parts[1].Split(','))
            {
                paths[controller] = parts[2];
            }
        }
        return paths;
    }
}
