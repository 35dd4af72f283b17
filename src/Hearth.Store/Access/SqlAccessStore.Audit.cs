using System.Data.Common;
using System.Text;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Access;

public abstract partial class SqlAccessStore
{
    private const string AuditColumns =
        "request_id, time, actor, action, method, path, target, status, result, client_address";

    public Task AppendAuditAsync(AuditEntry e, CancellationToken ct) =>
        WriteAsync(
            (connection, tx) =>
                ExecAsync(
                    connection,
                    tx,
                    $"INSERT INTO access_audit ({AuditColumns}) VALUES (@request, @time, @actor, @action, @method, @path, @target, @status, @result, @client);",
                    ct,
                    ("@request", e.RequestId),
                    ("@time", Ms(e.Time)),
                    ("@actor", e.Actor),
                    ("@action", e.Action),
                    ("@method", e.Method),
                    ("@path", e.Path),
                    ("@target", e.Target),
                    ("@status", e.Status),
                    ("@result", e.Result),
                    ("@client", e.ClientAddress)
                ),
            ct
        );

    public Task<IReadOnlyList<AuditEntry>> QueryAuditAsync(AuditQuery query, CancellationToken ct)
    {
        var sql = new StringBuilder($"SELECT {AuditColumns} FROM access_audit WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        if (query.Actor is { } actor)
        {
            sql.Append(" AND actor = @actor");
            parameters.Add(("@actor", actor));
        }
        if (query.Since is { } since)
        {
            sql.Append(" AND time >= @since");
            parameters.Add(("@since", Ms(since)));
        }
        if (query.RequestId is { } request)
        {
            sql.Append(" AND request_id = @request");
            parameters.Add(("@request", request));
        }
        sql.Append(" ORDER BY seq DESC");
        if (query.Limit > 0)
        {
            sql.Append(" LIMIT @limit");
            parameters.Add(("@limit", query.Limit));
        }
        sql.Append(';');
        return ReadAsync<IReadOnlyList<AuditEntry>>(
            async connection => await QueryAsync(connection, null, sql.ToString(), ReadAudit, ct, [.. parameters]),
            ct
        );
    }

    private static AuditEntry ReadAudit(DbDataReader r) =>
        new(
            r.GetString(0),
            Time(r, 1)!.Value,
            r.GetString(2),
            r.GetString(3),
            r.GetString(4),
            r.GetString(5),
            Text(r, 6),
            Convert.ToInt32(r.GetValue(7)),
            r.GetString(8),
            r.GetString(9)
        );
}
