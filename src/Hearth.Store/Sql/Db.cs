using System.Data.Common;

namespace Hearth.Store.Sql;

/// <summary>ADO.NET shorthands shared by the SQL stores (runs, access, locks); times are Unix milliseconds.</summary>
internal static class Db
{
    public static DbCommand Command(
        DbConnection connection,
        DbTransaction? tx,
        string sql,
        params (string Name, object? Value)[] parameters
    )
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
            Add(command, name, value);
        return command;
    }

    public static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    public static async Task<int> ExecAsync(
        DbConnection connection,
        DbTransaction? tx,
        string sql,
        CancellationToken ct,
        params (string, object?)[] parameters
    )
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<object?> ScalarAsync(
        DbConnection connection,
        DbTransaction? tx,
        string sql,
        CancellationToken ct,
        params (string, object?)[] parameters
    )
    {
        await using var command = Command(connection, tx, sql, parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is DBNull ? null : value;
    }

    public static async Task<List<T>> QueryAsync<T>(
        DbConnection connection,
        DbTransaction? tx,
        string sql,
        Func<DbDataReader, T> map,
        CancellationToken ct,
        params (string, object?)[] parameters
    )
    {
        await using var command = Command(connection, tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
            rows.Add(map(reader));
        return rows;
    }

    public static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static object? Ms(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    public static DateTimeOffset? Time(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal));

    public static string? Text(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static int? Int(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static string Json<T>(T value) => Hearth.Core.HearthJson.Serialize(value);

    public static T FromJson<T>(string json) => Hearth.Core.HearthJson.Deserialize<T>(json)!;
}
