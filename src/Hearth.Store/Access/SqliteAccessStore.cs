using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Access;

/// <summary>
/// The access tables in a SQLite file (by default the run store's own file): WAL, synchronous=FULL, and write
/// transactions as BEGIN IMMEDIATE so SQLite serialises writers.
/// </summary>
public sealed class SqliteAccessStore : SqlAccessStore
{
    private const int ConstraintViolation = 19;
    private readonly string _connectionString;

    public SqliteAccessStore(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = (SqliteConnection)await OpenAsync(ct);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);
        await ExecAsync(connection, null, "CREATE TABLE IF NOT EXISTS access_schema_version (version INTEGER NOT NULL);", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM access_schema_version;", ct));
        for (var version = current + 1; version <= AccessSchema.Sqlite.Count; version++)
        {
            await using var tx = connection.BeginTransaction(deferred: false);
            await ExecAsync(connection, tx, AccessSchema.Sqlite[version - 1], ct);
            await ExecAsync(connection, tx, "INSERT INTO access_schema_version (version) VALUES (@version);", ct, ("@version", version));
            await tx.CommitAsync(ct);
        }
    }

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct);
            await ExecAsync(connection, null, "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;", ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override async Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct)
    {
        var connection = (SqliteConnection)await OpenAsync(ct);
        try
        {
            return (connection, connection.BeginTransaction(deferred: false));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private protected override bool IsUniqueViolation(DbException e) => e is SqliteException { SqliteErrorCode: ConstraintViolation };
}
