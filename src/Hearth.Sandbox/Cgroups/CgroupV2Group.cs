using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Cgroups;

internal sealed class CgroupV2Group(string directory, TimeProvider time) : ICgroup
{
    private static readonly TimeSpan KillTimeout = TimeSpan.FromSeconds(5);

    public IReadOnlyList<string> Directories { get; } = [directory];

    public IReadOnlyDictionary<string, string> ByController { get; } =
        new Dictionary<string, string> { ["unified"] = directory };

    public string? DirectoryOf(string controller) => directory;

    public void Enter(int pid) => CgroupFiles.Write(directory, "cgroup.procs", pid.ToString());

    public IDisposable? JoinCallingThread() => null;

    public bool ThreadsCanJoin => false;

    public IReadOnlyList<int> Pids() => CgroupFiles.ReadPids(directory);

    public void Signal(int signal, IReadOnlySet<int> except)
    {
        foreach (var pid in Pids())
        {
            if (!except.Contains(pid))
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
            if (File.Exists(Path.Combine(directory, "cgroup.kill")))
            {
                CgroupFiles.Write(directory, "cgroup.kill", "1");
            }
            else if (File.Exists(Path.Combine(directory, "cgroup.freeze")))
            {
                CgroupFiles.Write(directory, "cgroup.freeze", "1");
                CgroupFiles.SignalAll(directory, Native.SigKill);
                CgroupFiles.Write(directory, "cgroup.freeze", "0");
            }
            else
            {
                CgroupFiles.SignalAll(directory, Native.SigKill);
            }
            await CgroupFiles
                .WaitEmptyAsync(directory, TimeSpan.FromMilliseconds(200), time, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    public bool OomKilled() => CgroupFiles.ReadKeyed(directory, "memory.events", "oom_kill") > 0;

    public async ValueTask DisposeAsync()
    {
        await KillAllAsync(CancellationToken.None).ConfigureAwait(false);
        await CgroupFiles.RemoveAsync(directory, time, CancellationToken.None).ConfigureAwait(false);
    }
}
