namespace Hearth.Sandbox.Cgroups;

/// <summary>The cgroups of one sandbox. Dispose kills what is left in them and removes them.</summary>
internal interface ICgroup : IAsyncDisposable
{
    /// <summary>Host directories of this sandbox's cgroups (one per v1 controller, one on v2).</summary>
    IReadOnlyList<string> Directories { get; }

    /// <summary>Controller → directory ("unified" on v2): what a sandbox handle records to reopen the group.</summary>
    IReadOnlyDictionary<string, string> ByController { get; }

    /// <summary>The directory holding <paramref name="controller"/>'s files, if this cgroup uses it.</summary>
    string? DirectoryOf(string controller);

    /// <summary>Moves <paramref name="pid"/> (and thus everything it will fork) into the cgroups.</summary>
    void Enter(int pid);

    /// <summary>
    /// Moves the calling thread into the cgroups, so that a process it spawns starts inside them; disposing moves it
    /// back. Null where a thread cannot join alone (cgroup v2 domains): start the process held at a gate and
    /// <see cref="Enter"/> it instead.
    /// </summary>
    IDisposable? JoinCallingThread();

    /// <summary>Whether <see cref="JoinCallingThread"/> can move a thread (cgroup v1), known before any move.</summary>
    bool ThreadsCanJoin { get; }

    /// <summary>Pids currently in the cgroup.</summary>
    IReadOnlyList<int> Pids();

    /// <summary>
    /// Sends <paramref name="signal"/> to every process in the cgroup except <paramref name="except"/>.
    /// </summary>
    void Signal(int signal, IReadOnlySet<int> except);

    /// <summary>
    /// Kills every process in the cgroup without a fork racing the kill, and waits until it is empty.
    /// </summary>
    Task KillAllAsync(CancellationToken cancellationToken);

    /// <summary>The kernel's OOM killer fired inside this cgroup's memory limit.</summary>
    bool OomKilled();
}
