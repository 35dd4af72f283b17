using System.Data.Common;

namespace Hearth.Store.Access;

/// <summary>
/// <see cref="IAccessStore"/> written once over ADO.NET; a dialect supplies connections, write transactions,
/// migrations and how it reports a unique-key violation.
/// </summary>
public abstract partial class SqlAccessStore : IAccessStore
{
    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A connection and a transaction isolated from every other writer of these tables.</summary>
    private protected abstract Task<(DbConnection Connection, DbTransaction Tx)> BeginWriteAsync(CancellationToken ct);

    private protected abstract bool IsUniqueViolation(DbException e);

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
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

    private protected static async Task<List<T>> QueryAsync<T>(DbConnection connection, DbTransaction? tx, string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(map(reader));
        return rows;
    }

    private protected static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private protected static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    private protected static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it.</summary>
    private protected async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        var (connection, tx) = await BeginWriteAsync(ct);
        await using (connection)
        await using (tx)
        {
            var result = await work(connection, tx);
            await tx.CommitAsync(ct);
            return result;
        }
    }

    private protected async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await work(connection);
    }
}
