using System.Data.Common;
using System.Text.Json;
using Hearth.Core;

namespace Hearth.Store.Sql;

/// <summary>
/// The store's semantics written once over ADO.NET: every method is one transaction, every state write is checked
/// against the transition tables, every agent write is fenced by the lease epoch. A dialect supplies connections,
/// write transactions, migrations and the claim query.
/// </summary>
/// <remarks>
/// Lock order, for databases with row locks: a run's row before its tasks' rows, runs in id order. A claim locks only
/// the one pending task it takes (and skips locked ones), so it never waits on anything.
/// </remarks>
public abstract partial class SqlRunStore : IRunStore
{
    private protected const string TerminalTaskStates = "('Succeeded', 'Failed', 'Stopped', 'TimedOut', 'Skipped')";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A connection and a transaction in which this store's writes are isolated from every other writer.</summary>
    private protected abstract Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct);

    /// <summary>" FOR UPDATE" where rows read for a write must be locked; empty where the write transaction already excludes other writers.</summary>
    private protected abstract string ForUpdate { get; }

    /// <summary>The SQL expression that stores parameter <paramref name="parameter"/> (JSON text) in a requirements column.</summary>
    private protected abstract string JsonParameter(string parameter);

    /// <summary>The column that keeps a run's tasks in the order they were created.</summary>
    private protected abstract string TaskOrder { get; }

    /// <summary>
    /// The statement that takes the oldest claimable pending task the agent satisfies (built with <see cref="ClaimUpdate"/>;
    /// @agent and @expires are added by the caller), or null when there is none.
    /// </summary>
    private protected abstract Task<(string Sql, (string, object?)[] Parameters)?> ClaimStatementAsync(
        DbConnection connection, DbTransaction tx, ClaimRequest request, CancellationToken ct);

    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ScalarAsync(connection, null, "SELECT COUNT(*) FROM schema_version;", ct);
    }

    private protected static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters) Add(command, name, value);
        return command;
    }

    private protected static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private protected static async Task<int> ExecAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private protected static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    private protected static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private protected static object? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    private protected static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private protected static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private protected static int? Int(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    private protected static string Json<T>(T value) => JsonSerializer.Serialize(value, HearthJson.Options);

    private protected static T FromJson<T>(string json) => JsonSerializer.Deserialize<T>(json, HearthJson.Options)!;
}
