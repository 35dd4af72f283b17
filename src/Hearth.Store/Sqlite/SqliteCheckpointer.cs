using Microsoft.Data.Sqlite;

namespace Hearth.Store.Sqlite;

/// <summary>
/// Copies a database's write-ahead log into the database file in the background (a PASSIVE checkpoint each
/// <see cref="Interval"/>), one loop per file shared by every <see cref="SqliteDatabase"/> on it. SQLite's own
/// checkpoint runs inside the commit that crosses its threshold, with the write lock held: that commit, and every
/// writer queued behind it, waits for the copy and its fsyncs. Here no writer does, and durability is unchanged (a
/// commit is durable once its WAL frames are synced, whenever they are checkpointed).
/// </summary>
internal sealed class SqliteCheckpointer
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly Dictionary<string, SqliteCheckpointer> ByFile = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    private readonly string _file;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _users;

    private SqliteCheckpointer(string file)
    {
        _file = file;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// The file's checkpointer, started by its first user; hand it back with <see cref="ReleaseAsync"/>.
    /// </summary>
    public static SqliteCheckpointer Acquire(string file)
    {
        lock (Gate)
        {
            if (!ByFile.TryGetValue(file, out var checkpointer))
                ByFile[file] = checkpointer = new SqliteCheckpointer(file);
            checkpointer._users++;
            return checkpointer;
        }
    }

    /// <summary>The last user's release stops the loop and closes its connection.</summary>
    public async ValueTask ReleaseAsync()
    {
        lock (Gate)
        {
            if (--_users > 0)
                return;
            ByFile.Remove(_file);
        }
        await _stop.CancelAsync();
        await _loop.ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    /// <summary>
    /// Checkpoints once now (what the loop does each interval); false when the file could not be opened.
    /// </summary>
    public async Task<bool> CheckpointAsync(CancellationToken ct)
    {
        try
        {
            await using var connection = new SqliteConnection(ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await command.ExecuteNonQueryAsync(ct);
            return true;
        }
        catch (SqliteException)
        {
            // The file is gone or locked for a moment: the next interval tries again.
            return false;
        }
    }

    // Not pooled: the loop's connection must not be one a store's pool keeps or clears, and a closed file must not be
    // created again by a late checkpoint.
    private string ConnectionString =>
        new SqliteConnectionStringBuilder
        {
            DataSource = _file,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                await CheckpointAsync(_stop.Token);
        }
        catch (OperationCanceledException) { }
    }
}
