using System.Collections.Concurrent;
using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Sqlite;

/// <summary>
/// One SQLite file as every Hearth store module (runs, access, locks) uses it: WAL, synchronous=FULL so whatever was
/// acknowledged survives a crash, write transactions as BEGIN IMMEDIATE so SQLite serialises writers, checkpoints in
/// the background (<see cref="SqliteCheckpointer"/>) rather than in a writer's commit, and numbered migrations each
/// module keeps in its own version table.
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    private readonly string _connectionString;

    // Writers of this process queue here, first come first served, instead of in SQLite's busy handler, which sleeps
    // (1, 2, 5 … 100 ms) and retries: under load the write lock would sit free while every waiter slept. One queue per
    // file, shared by every store on it (runs, access, locks, …): an audit entry's commit no longer sends a webhook
    // batch to sleep. Other processes on the same file still meet the busy handler.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> WritersByFile = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writers;

    private static readonly object Configured = new();
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = new();
    private readonly SqliteCheckpointer? _checkpointer;
    private readonly string _settings;
    private int _disposed;

    public SqliteDatabase(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        MakePrivate(path);
        _writers = WritersByFile.GetOrAdd(Path.GetFullPath(path), _ => new SemaphoreSlim(1, 1));
        var onDisk = path != ":memory:" && !path.StartsWith("file:", StringComparison.Ordinal);
        _checkpointer = onDisk ? SqliteCheckpointer.Acquire(Path.GetFullPath(path)) : null;
        _settings =
            "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
            + (onDisk ? " PRAGMA wal_autocheckpoint=0;" : "");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>
    /// The database holds key hashes, encrypted secrets and every log line: only its owner may read it. The file is
    /// made 0600 before SQLite first opens it, and SQLite gives its -wal and -shm files the database file's mode; files
    /// an older version left readable are narrowed on start.
    /// </summary>
    private static void MakePrivate(string path)
    {
        if (OperatingSystem.IsWindows() || path == ":memory:" || path.StartsWith("file:", StringComparison.Ordinal))
            return;
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (
            new FileStream(
                path,
                new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.ReadWrite | FileShare.Delete,
                    UnixCreateMode = owner,
                }
            )
        ) { }
        foreach (var file in new[] { path, path + "-wal", path + "-shm", path + "-journal" })
        {
            if (File.Exists(file) && (File.GetUnixFileMode(file) & ~owner) != 0)
                File.SetUnixFileMode(file, owner);
        }
    }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            // The settings belong to the native handle, which the pool hands out again: set them on its first opening
            // only (three statements parsed on every transaction otherwise, inside the write lock).
            if (!_configured.TryGetValue(connection.Handle!, out _))
            {
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = _settings;
                await pragma.ExecuteNonQueryAsync(ct);
                _configured.AddOrUpdate(connection.Handle!, Configured);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A connection with an IMMEDIATE (write-locking) transaction open on it; the next writer goes once it is closed.
    /// </summary>
    public async Task<(SqliteConnection Connection, SqliteTransaction Tx)> BeginWriteAsync(CancellationToken ct)
    {
        await _writers.WaitAsync(ct);
        SqliteConnection? connection = null;
        try
        {
            connection = await OpenAsync(ct);
            var released = 0;
            connection.StateChange += (_, change) =>
            {
                if (change.CurrentState == ConnectionState.Closed && Interlocked.Exchange(ref released, 1) == 0)
                    _writers.Release();
            };
            return (connection, connection.BeginTransaction(deferred: false));
        }
        catch
        {
            if (connection is null)
                _writers.Release();
            else
                await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the background checkpoints (with the file's last user) and closes this file's pooled connections, so
    /// SQLite checkpoints and removes its -wal and -shm files. Only this file's pool: clearing every pool would close
    /// another store's connections in the same process.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
        if (_checkpointer is not null)
            await _checkpointer.ReleaseAsync();
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <summary>
    /// Applies the migrations not yet recorded in <paramref name="versionTable"/>, each in its own transaction.
    /// </summary>
    public async Task MigrateAsync(string versionTable, IReadOnlyList<string> migrations, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);
        await ExecAsync(connection, null, $"CREATE TABLE IF NOT EXISTS {versionTable} (version INTEGER NOT NULL);", ct);
        await using (var read = connection.CreateCommand())
        {
            read.CommandText = $"SELECT COALESCE(MAX(version), 0) FROM {versionTable};";
            var current = Convert.ToInt32(await read.ExecuteScalarAsync(ct));
            for (var version = current + 1; version <= migrations.Count; version++)
            {
                await using var tx = connection.BeginTransaction(deferred: false);
                await ExecAsync(connection, tx, migrations[version - 1], ct);
                await ExecAsync(connection, tx, $"INSERT INTO {versionTable} (version) VALUES ({version});", ct);
                await tx.CommitAsync(ct);
            }
        }
    }

    private static async Task ExecAsync(
        SqliteConnection connection,
        SqliteTransaction? tx,
        string sql,
        CancellationToken ct
    )
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }
}
