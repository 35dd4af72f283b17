using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Reaping;

/// <summary>
/// Host processes whose environment carries <see cref="SandboxMarks.SandboxVariable"/>; removed with SIGKILL.
/// </summary>
public sealed class MarkedProcesses(TimeProvider time) : IOrphanSource
{
    private static readonly TimeSpan GoneTimeout = TimeSpan.FromSeconds(10);

    public Task<IReadOnlyList<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> scratchRoots,
        CancellationToken cancellationToken
    ) => Task.FromResult(Discover(scratchRoots));

    private IReadOnlyList<MarkedResource> Discover(IReadOnlyCollection<string> scratchRoots)
    {
        var found = new List<MarkedResource>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
                continue;
            if (Marks(pid) is not { } marks)
                continue;
            var (sandbox, owner) = marks;
            var start = StartTime(pid);
            found.Add(
                new MarkedResource(
                    ResourceKind.Process,
                    pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    sandbox,
                    owner
                )
                {
                    Destroy = ct => KillAsync(pid, start, ct),
                }
            );
        }
        return found;
    }

    /// <summary>The marks in /proc/PID/environ, or null when it has none (or is gone, or unreadable).</summary>
    public static (string Sandbox, string? Owner)? Marks(int pid)
    {
        byte[] environ;
        try
        {
            environ = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        string? sandbox = null,
            owner = null;
        foreach (var entry in System.Text.Encoding.UTF8.GetString(environ).Split('\0'))
        {
            if (entry.StartsWith(SandboxMarks.SandboxVariable + "=", StringComparison.Ordinal))
                sandbox = entry[(SandboxMarks.SandboxVariable.Length + 1)..];
            else if (entry.StartsWith(SandboxMarks.OwnerVariable + "=", StringComparison.Ordinal))
                owner = entry[(SandboxMarks.OwnerVariable.Length + 1)..];
        }
        return sandbox is null ? null : (sandbox, owner);
    }

    private async Task KillAsync(int pid, string? start, CancellationToken cancellationToken)
    {
        // The pid is only this process while its start time is the one seen: never kill a reused pid.
        if (StartTime(pid) != start || start is null)
            return;
        Native.Kill(pid, Native.SigKill);
        var started = time.GetTimestamp();
        while (ProcTable.TryRead(pid) is not null && StartTime(pid) == start)
        {
            if (time.GetElapsedTime(started) > GoneTimeout)
                throw new IOException($"process {pid} is still there {GoneTimeout.TotalSeconds:0}s after SIGKILL");
            await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Field 22 of /proc/PID/stat (start time in clock ticks), which tells a process from a later one with its pid.
    /// </summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields.Length > 19 ? fields[19] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
