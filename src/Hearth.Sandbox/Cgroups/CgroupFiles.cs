using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Cgroups;

/// <summary>Small, exact reads and writes of cgroupfs files.</summary>
internal static class CgroupFiles
{
    public static void Write(string directory, string file, string value)
    {
        // One write(2) per value: cgroupfs parses each write separately.
        File.WriteAllText(Path.Combine(directory, file), value);
    }

    public static IReadOnlyList<int> ReadPids(string directory)
    {
        var pids = new List<int>();
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(directory, "cgroup.procs"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return pids;
        }
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(line, out var pid))
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    /// <summary>
    /// Reads "key value" lines (memory.oom_control, memory.events, cpu.stat) and returns key's value.
    /// </summary>
    public static long? ReadKeyed(string directory, string file, string key)
    {
        var path = Path.Combine(directory, file);
        if (!File.Exists(path))
        {
            return null;
        }
        foreach (var line in File.ReadAllLines(path))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], out var value))
            {
                return value;
            }
        }
        return null;
    }

    public static void SignalAll(string directory, int signal)
    {
        foreach (var pid in ReadPids(directory))
        {
            // Never the agent itself, should one of its threads ever be found in a sandbox's cgroup.
            if (pid != Environment.ProcessId)
                Native.Kill(pid, signal);
        }
    }

    /// <summary>Polls until the cgroup holds no process; false on timeout.</summary>
    public static async Task<bool> WaitEmptyAsync(
        string directory,
        TimeSpan timeout,
        TimeProvider time,
        CancellationToken cancellationToken
    )
    {
        var started = time.GetTimestamp();
        while (ReadPids(directory).Count > 0)
        {
            if (time.GetElapsedTime(started) > timeout)
            {
                return false;
            }
            await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>rmdir of a cgroup, retried for a while: it stays busy until its last task has fully exited.</summary>
    public static async Task RemoveAsync(string directory, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: false);
                }
                return;
            }
            catch (IOException) when (time.GetElapsedTime(started) < TimeSpan.FromSeconds(2))
            {
                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(2);

    public static string Relative(string ownPath, string mountRoot)
    {
        // Inside a cgroup namespace the mount may expose a subtree; paths in /proc/self/cgroup are then
        // relative to that subtree already or start with it.
        if (mountRoot != "/" && ownPath.StartsWith(mountRoot, StringComparison.Ordinal))
        {
            ownPath = ownPath[mountRoot.Length..];
        }
        return ownPath.TrimStart('/');
    }
}
