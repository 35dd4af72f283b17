using System.Diagnostics;

namespace Hearth.Bench.Throughput;

/// <summary>
/// Busy CPU time of the whole machine (every process, the kernel and interrupts), from /proc/stat: what one task costs
/// on a path whose work is spread over several processes (server, agents, sandboxes, database backends).
/// </summary>
public static class MachineCpu
{
    public static TimeSpan Busy()
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice (in USER_HZ ticks)
        var fields = File.ReadLines("/proc/stat")
            .First()
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(long.Parse)
            .ToArray();
        var busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + (fields.Length > 7 ? fields[7] : 0);
        return TimeSpan.FromSeconds(busy / 100.0);
    }

    /// <summary>
    /// The machine's busy CPU per start of <c>/bin/true</c> from a shell loop: the floor of what running a trivial task
    /// costs here before any scheduler is involved (a dynamic binary's exec, its loader, its exit).
    /// </summary>
    public static async Task<TimeSpan> ExecFloorAsync(int starts)
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"i=0; while [ $i -lt {starts} ]; do /bin/true; i=$((i+1)); done");
        var before = Busy();
        using var shell = Process.Start(info)!;
        await shell.WaitForExitAsync();
        return (Busy() - before) / starts;
    }
}
