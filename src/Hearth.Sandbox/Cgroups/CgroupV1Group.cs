using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Cgroups;

/// <param name="byController">Controller → this sandbox's directory.</param>
/// <param name="mountPoints">Controller → its hierarchy's mount point.</param>
/// <param name="pidsLimit">The pids.max written, if any.</param>
/// <param name="idle">Controller → where this group's emptied directories may be kept for reuse (a group without limits
/// only).</param>
internal sealed class CgroupV1Group(
    IReadOnlyDictionary<string, string> byController,
    IReadOnlyDictionary<string, string> mountPoints,
    long? pidsLimit,
    TimeProvider time,
    IReadOnlyDictionary<string, IdleDirectories>? idle = null
) : ICgroup
{
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FreezeTimeout = TimeSpan.FromSeconds(1);

    public IReadOnlyList<string> Directories { get; } = byController.Values.ToList();

    public IReadOnlyDictionary<string, string> ByController => byController;

    public string? DirectoryOf(string controller) => byController.GetValueOrDefault(controller);

    private string Tracking =>
        byController.GetValueOrDefault("pids") ?? byController.GetValueOrDefault("freezer") ?? Directories[0];

    public void Enter(int pid)
    {
        foreach (var directory in Directories)
        {
            CgroupFiles.Write(directory, "cgroup.procs", pid.ToString());
        }
    }

    public bool ThreadsCanJoin => true;

    public IDisposable? JoinCallingThread()
    {
        // The thread counts against pids.max while it is inside: one more until it has left.
        var pids = pidsLimit is { } limit ? byController["pids"] : null;
        if (pids is not null)
            CgroupFiles.Write(pids, "pids.max", (pidsLimit!.Value + 1).ToString());
        return CgroupV1ThreadMove.Enter(
            byController,
            mountPoints,
            pids is null ? null : () => CgroupFiles.Write(pids, "pids.max", pidsLimit!.Value.ToString())
        );
    }

    public IReadOnlyList<int> Pids() => CgroupFiles.ReadPids(Tracking);

    public void Signal(int signal, IReadOnlySet<int> except)
    {
        foreach (var pid in Pids())
        {
            if (!except.Contains(pid) && pid != Environment.ProcessId)
            {
                Native.Kill(pid, signal);
            }
        }
    }

    public async Task KillAllAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (Pids().Count > 0 && time.GetElapsedTime(started) < KillTimeout)
        {
            if (byController.TryGetValue("freezer", out var freezer))
            {
                try
                {
                    // Frozen tasks cannot fork, so one pass over cgroup.procs reaches every process.
                    CgroupFiles.Write(freezer, "freezer.state", "FROZEN");
                    await WaitFrozenAsync(freezer, cancellationToken).ConfigureAwait(false);
                    CgroupFiles.SignalAll(Tracking, Native.SigKill);
                    CgroupFiles.Write(freezer, "freezer.state", "THAWED");
                }
                catch (IOException) when (!Directory.Exists(freezer))
                {
                    // A concurrent disposal removed the freezer group (it found it empty): kill through the tracking
                    // group alone, as on a host without the freezer.
                    CgroupFiles.SignalAll(Tracking, Native.SigKill);
                }
            }
            else
            {
                CgroupFiles.SignalAll(Tracking, Native.SigKill);
            }
            await CgroupFiles
                .WaitEmptyAsync(Tracking, TimeSpan.FromMilliseconds(200), time, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    public bool OomKilled() =>
        byController.TryGetValue("memory", out var memory)
        && CgroupFiles.ReadKeyed(memory, "memory.oom_control", "oom_kill") > 0;

    public async ValueTask DisposeAsync()
    {
        await KillAllAsync(CancellationToken.None).ConfigureAwait(false);
        foreach (var (controller, directory) in byController)
        {
            // Kept only empty and thawed (KillAllAsync thaws what it froze), as a new tracking group would be.
            if (idle is not null && CgroupFiles.ReadPids(directory).Count == 0 && idle[controller].TryKeep(directory))
                continue;
            await CgroupFiles.RemoveAsync(directory, time, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task WaitFrozenAsync(string freezer, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (
            File.ReadAllText(Path.Combine(freezer, "freezer.state")).Trim() != "FROZEN"
            && time.GetElapsedTime(started) < FreezeTimeout
        )
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1), time, cancellationToken).ConfigureAwait(false);
        }
    }
}
