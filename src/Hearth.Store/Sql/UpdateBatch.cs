using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// UPDATE statements by id, sent as one command: one round trip to a database server for a whole plan.
/// </summary>
internal sealed class UpdateBatch
{
    private readonly List<Row> _rows = [];
    private readonly List<(string, object?)> _parameters = [];

    public Row Update(string table, string id)
    {
        var row = new Row(this, table, Name(id));
        _rows.Add(row);
        return row;
    }

    private string Name(object? value)
    {
        var name = $"@b{_parameters.Count}";
        _parameters.Add((name, value));
        return name;
    }

    public async Task ExecuteAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        if (_rows.Count == 0)
            return;
        var sql = string.Join(
            "\n",
            _rows.Select(r => $"UPDATE {r.Table} SET {string.Join(", ", r.Sets)} WHERE id = {r.Id};")
        );
        await ExecAsync(connection, tx, sql, ct, [.. _parameters]);
    }

    internal sealed class Row(UpdateBatch batch, string table, string id)
    {
        public string Table { get; } = table;
        public string Id { get; } = id;
        public List<string> Sets { get; } = [];

        public void Set(string column, object? value) => Sets.Add($"{column} = {batch.Name(value)}");

        /// <summary>Sets the column only where it is still null.</summary>
        public void Keep(string column, object? value) =>
            Sets.Add($"{column} = COALESCE({column}, {batch.Name(value)})");

        public void Raw(string assignment) => Sets.Add(assignment);
    }
}
