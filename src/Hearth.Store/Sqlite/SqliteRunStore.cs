using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Runs;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, synchronous=FULL so that whatever the API acknowledged
/// survives a crash. Write transactions are BEGIN IMMEDIATE, so SQLite itself serialises claims.
/// </summary>
public sealed partial class SqliteRunStore : IRunStore
{
    private readonly string _connectionString;

    public SqliteRunStore(string path)
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

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(connection, null, "PRAGMA journal_mode=WAL;", ct);
        await ExecAsync(connection, null, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", ct);
        var current = Convert.ToInt32(await ScalarAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_version;", ct));
        for (var version = current + 1; version <= SqliteSchema.Migrations.Count; version++)
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            await ExecAsync(connection, tx, SqliteSchema.Migrations[version - 1], ct);
            await ExecAsync(connection, tx, $"INSERT INTO schema_version(version) VALUES ({version});", ct);
            await tx.CommitAsync(ct);
        }
    }

    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ScalarAsync(connection, null, "SELECT COUNT(*) FROM schema_version;", ct);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>Opens a connection and an IMMEDIATE (write-locking) transaction.</summary>
    private async Task<(SqliteConnection Connection, SqliteTransaction Tx)> BeginWriteAsync(CancellationToken ct)
    {
        var connection = await OpenAsync(ct);
        try
        {
            var tx = connection.BeginTransaction(deferred: false);
            return (connection, tx);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteScalarAsync(ct);
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static object? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private static string? Text(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static int? Int(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, HearthJson.Options);

    private static T FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, HearthJson.Options)!;
}
