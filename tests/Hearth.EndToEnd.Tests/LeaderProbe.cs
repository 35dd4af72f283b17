using System.Globalization;
using Npgsql;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Which `hearth server` process holds the leader lock, seen from outside: the PostgreSQL session holding the
/// advisory lock, its client port, and the server process that owns the socket on that port (/proc).
/// </summary>
public static class LeaderProbe
{
    /// <summary>
    /// The index in <see cref="HearthCluster.Servers"/> of the leader, or null when no live server holds the lock.
    /// </summary>
    public static async Task<int?> LeaderAsync(HearthCluster cluster)
    {
        await using var connection = new NpgsqlConnection(cluster.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'hearth-leader' AND a.datname = current_database();
            """,
            connection
        );
        var ports = new List<int>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                ports.Add(reader.GetInt32(0));
        }
        if (ports.Count > 1)
            throw new InvalidOperationException($"{ports.Count} sessions hold the leader lock");
        if (ports.Count == 0)
            return null;
        var inode = SocketInode(ports[0]);
        for (var i = 0; i < cluster.Servers.Count; i++)
        {
            if (
                inode is not null
                && cluster.Servers[i].IsUp
                && OwnsSocket(cluster.Servers[i].Process.Process.Id, inode)
            )
                return i;
        }
        return null;
    }

    public static async Task<int> WaitForLeaderAsync(
        HearthCluster cluster,
        Func<int, bool> acceptable,
        TimeSpan timeout,
        string what
    )
    {
        var until = DateTime.UtcNow + timeout;
        int? leader = null;
        while (DateTime.UtcNow < until)
        {
            leader = await LeaderAsync(cluster);
            if (leader is { } l && acceptable(l))
                return l;
            await Task.Delay(100);
        }
        throw new TimeoutException($"timed out waiting for {what}; leader now: {leader?.ToString() ?? "none"}");
    }

    /// <summary>
    /// The inode of the loopback TCP socket whose local port is <paramref name="port"/> (the client end).
    /// </summary>
    private static string? SocketInode(int port)
    {
        var hex = port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var table in (string[])["/proc/net/tcp", "/proc/net/tcp6"])
        {
            if (!File.Exists(table))
                continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[1].EndsWith(":" + hex, StringComparison.Ordinal))
                    return fields[9];
            }
        }
        return null;
    }

    private static bool OwnsSocket(int pid, string inode)
    {
        try
        {
            return Directory
                .EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget == $"socket:[{inode}]");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
