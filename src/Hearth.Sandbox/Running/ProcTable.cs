namespace Hearth.Sandbox.Running;

/// <summary>One row of /proc/PID/stat that matters for finding a process tree.</summary>
internal readonly record struct ProcEntry(int Pid, int ParentPid, int ProcessGroup);

/// <summary>Reads the host's process table from /proc (no caching: every call is a fresh snapshot).</summary>
internal static class ProcTable
{
    public static IReadOnlyList<ProcEntry> Snapshot()
    {
        var entries = new List<ProcEntry>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            if (TryRead(pid) is { } entry)
            {
                entries.Add(entry);
            }
        }
        return entries;
    }

    public static ProcEntry? TryRead(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // exited between listing and reading
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }
        var fields = stat[(close + 2)..].Split(' ');
        // fields[0] = state, [1] = ppid, [2] = pgrp
        if (
            fields.Length < 3
            || fields[0] == "Z"
            || !int.TryParse(fields[1], out var ppid)
            || !int.TryParse(fields[2], out var pgrp)
        )
        {
            return null;
        }
        return new ProcEntry(pid, ppid, pgrp);
    }

    /// <summary>Live (non-zombie) descendants of <paramref name="root"/>, not including it.</summary>
    public static IReadOnlyList<int> Descendants(IReadOnlyList<ProcEntry> table, int root)
    {
        var children = table.ToLookup(e => e.ParentPid, e => e.Pid);
        var result = new List<int>();
        var queue = new Queue<int>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            foreach (var child in children[queue.Dequeue()])
            {
                result.Add(child);
                queue.Enqueue(child);
            }
        }
        return result;
    }
}
