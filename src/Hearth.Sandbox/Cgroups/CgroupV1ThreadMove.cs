namespace Hearth.Sandbox.Cgroups;

/// <summary>
/// The calling thread, moved into a sandbox's v1 cgroups so that the process it spawns next starts inside them;
/// disposing moves it back to where it was. A thread moving itself (writing "0" to a hierarchy's <c>tasks</c>) skips
/// the global lock that moving another process takes, which waits for an RCU grace period: about 20 µs for the round
/// trip here, against 0.7 ms for one <c>cgroup.procs</c> write of a child's pid per hierarchy.
/// </summary>
internal sealed class CgroupV1ThreadMove : IDisposable
{
    private readonly List<string> _homes = [];
    private readonly Action? _afterLeaving;

    private CgroupV1ThreadMove(Action? afterLeaving) => _afterLeaving = afterLeaving;

    /// <param name="targets">Controller → the sandbox's directory for it.</param>
    /// <param name="mountPoints">Controller → its hierarchy's mount point.</param>
    /// <param name="afterLeaving">Runs once the thread is back home (e.g. lowering pids.max by the one task it was).</param>
    public static CgroupV1ThreadMove Enter(IReadOnlyDictionary<string, string> targets, IReadOnlyDictionary<string, string> mountPoints, Action? afterLeaving)
    {
        var current = CurrentPaths();
        var move = new CgroupV1ThreadMove(afterLeaving);
        try
        {
            foreach (var (controller, target) in targets)
            {
                var mountPoint = mountPoints[controller];
                var home = current.TryGetValue(controller, out var path) ? Path.Join(mountPoint, path) : mountPoint;
                CgroupFiles.Write(target, "tasks", "0");
                move._homes.Add(home);
            }
            return move;
        }
        catch
        {
            move.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        List<Exception>? failures = null;
        foreach (var home in _homes)
        {
            try
            {
                CgroupFiles.Write(home, "tasks", "0");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                (failures ??= []).Add(e);
            }
        }
        _homes.Clear();
        if (failures is not null)
        {
            // The thread stays in a sandbox's cgroup: that sandbox's kill would see the agent. Nothing may go on.
            throw new InvalidOperationException("cannot move the sandbox spawner thread back to the agent's cgroups", new AggregateException(failures));
        }
        _afterLeaving?.Invoke();
    }

    private const long RereadAfterMs = 10_000;

    [ThreadStatic] private static Dictionary<string, string>? _homePaths;
    [ThreadStatic] private static long _homePathsReadAt;

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
