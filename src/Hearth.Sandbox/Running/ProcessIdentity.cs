namespace Hearth.Sandbox.Running;

/// <summary>
/// A pid together with its start time (in clock ticks since boot, /proc/PID/stat's field 22): after an agent restart
/// the pid alone may name another process by then; the pair cannot.
/// </summary>
internal readonly record struct ProcessIdentity(int Pid, long StartTime)
{
    /// <summary>
    /// The process now running as <paramref name="pid"/>, or null when there is none (or only its zombie).
    /// </summary>
    public static ProcessIdentity? Of(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var close = stat.LastIndexOf(')');
        if (close < 0)
            return null;
        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); field 22 (starttime) is fields[19].
        if (fields.Length < 20 || fields[0] is "Z" or "X" || !long.TryParse(fields[19], out var start))
            return null;
        return new ProcessIdentity(pid, start);
    }

    /// <summary>The same process is still alive (not exited, not a zombie, its pid not reused).</summary>
    public bool IsAlive() => Of(Pid) == this;
}
