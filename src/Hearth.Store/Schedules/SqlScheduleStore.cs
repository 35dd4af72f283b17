using System.Data.Common;
using Hearth.Core.Schedules;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Schedules;

/// <summary>
/// <see cref="IScheduleStore"/> written once over ADO.NET; a dialect supplies connections and migrations.
/// </summary>
public abstract class SqlScheduleStore : IScheduleStore
{
    private const string Columns =
        "id, name, spec, time_zone, missed, target, payload, source, created_by, created_at, cursor_at, last_run_id, last_fired_at, last_error";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    public async Task<bool> CreateAsync(ScheduleRecord s, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var rows = await ExecAsync(
            connection,
            null,
            $"""
            INSERT INTO schedules ({Columns})
            VALUES (@id, @name, @spec, @zone, @missed, @target, @payload, @source, @by, @at, @cursor, NULL, NULL, NULL)
            ON CONFLICT (name) DO NOTHING;
            """,
            ct,
            ("@id", s.Id),
            ("@name", s.Name),
            ("@spec", s.Spec),
            ("@zone", s.TimeZone),
            ("@missed", Missed(s.Missed)),
            ("@target", s.Target),
            ("@payload", s.Payload),
            ("@source", s.Source),
            ("@by", s.CreatedBy),
            ("@at", Ms(s.CreatedAt)),
            ("@cursor", Ms(s.Cursor))
        );
        return rows == 1;
    }

    public async Task<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(connection, null, $"SELECT {Columns} FROM schedules ORDER BY name;", Read, ct);
    }

    public async Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var rows = await QueryAsync(
            connection,
            null,
            $"SELECT {Columns} FROM schedules WHERE name = @name;",
            Read,
            ct,
            ("@name", name)
        );
        return rows.SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(connection, null, "DELETE FROM schedules WHERE name = @name;", ct, ("@name", name)) == 1;
    }

    public async Task<bool> AdvanceAsync(
        string id,
        DateTimeOffset expectedCursor,
        ScheduleAdvance advance,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        // A compare-and-set on the cursor: of two servers that dealt with the same fire time, one records it.
        var rows = advance.FiredAt is null
            ? await ExecAsync(
                connection,
                null,
                "UPDATE schedules SET cursor_at = @cursor WHERE id = @id AND cursor_at = @expected;",
                ct,
                ("@cursor", Ms(advance.Cursor)),
                ("@id", id),
                ("@expected", Ms(expectedCursor))
            )
            : await ExecAsync(
                connection,
                null,
                """
                UPDATE schedules SET cursor_at = @cursor, last_run_id = @run, last_fired_at = @fired, last_error = @error
                WHERE id = @id AND cursor_at = @expected;
                """,
                ct,
                ("@cursor", Ms(advance.Cursor)),
                ("@fired", Ms(advance.FiredAt)),
                ("@run", advance.RunId),
                ("@error", advance.Error),
                ("@id", id),
                ("@expected", Ms(expectedCursor))
            );
        return rows == 1;
    }

    private static string Missed(MissedRunPolicy missed) => missed == MissedRunPolicy.Once ? "once" : "skip";

    private static ScheduleRecord Read(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            r.GetString(2),
            Text(r, 3),
            r.GetString(4) == "once" ? MissedRunPolicy.Once : MissedRunPolicy.Skip,
            r.GetString(5),
            r.GetString(6),
            r.GetString(8),
            Time(r, 9)!.Value,
            Time(r, 10)!.Value
        )
        {
            Source = Text(r, 7),
            LastRunId = Text(r, 11),
            LastFiredAt = Time(r, 12),
            LastError = Text(r, 13),
        };
}
