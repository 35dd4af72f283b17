using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// Statements that go to the database together: multi-row INSERTs (rows of one table in one statement, at most
/// <see cref="RowsPerStatement"/> rows each, so a batch stays under both databases' parameter limits), sent in one
/// <see cref="DbBatch"/> (one round trip on PostgreSQL) where the provider batches, else one after the other
/// (SQLite, in process, has no round trip to save).
/// </summary>
internal sealed class BatchedStatements
{
    public const int RowsPerStatement = 100;

    private readonly List<(string Sql, List<(string, object?)> Parameters)> _statements = [];

    public int Count => _statements.Count;

    /// <summary>
    /// Adds <c>INSERT INTO {table} ({columns}) VALUES …</c> for the rows, each row's values in column order.
    /// </summary>
    /// <param name="placeholders">Per column, the SQL around its parameter (e.g. a cast), "{0}" for the parameter
    /// itself.</param>
    public void AddInsert(
        string table,
        IReadOnlyList<string> columns,
        IReadOnlyList<string?>? placeholders,
        IReadOnlyList<object?[]> rows
    )
    {
        for (var start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var values = new List<string>();
            var parameters = new List<(string, object?)>();
            for (var r = start; r < Math.Min(rows.Count, start + RowsPerStatement); r++)
            {
                var names = new string[columns.Count];
                for (var c = 0; c < columns.Count; c++)
                {
                    var name = $"@c{c}r{r - start}";
                    names[c] = placeholders?[c] is { } around ? string.Format(around, name) : name;
                    parameters.Add((name, rows[r][c]));
                }
                values.Add($"({string.Join(", ", names)})");
            }
            _statements.Add(
                ($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES {string.Join(", ", values)};", parameters)
            );
        }
    }

    public async Task ExecuteAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        if (_statements.Count == 0)
            return;
        if (!connection.CanCreateBatch || _statements.Count == 1)
        {
            foreach (var (sql, parameters) in _statements)
                await ExecAsync(connection, tx, sql, ct, [.. parameters]);
            return;
        }
        await using var batch = connection.CreateBatch();
        batch.Transaction = tx;
        foreach (var (sql, parameters) in _statements)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value ?? DBNull.Value;
                command.Parameters.Add(parameter);
            }
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }
}
