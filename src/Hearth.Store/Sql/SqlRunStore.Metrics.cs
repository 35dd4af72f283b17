using System.Data.Common;
using Hearth.Core.Runs;
using Hearth.Store.Metrics;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Sql;

/// <summary>
/// The reads behind /metrics: grouped counts (no rows copied), and the rows of the work that ended in a window.
/// </summary>
public abstract partial class SqlRunStore : IStoreMetrics
{
    public async Task<MetricsSample> SampleMetricsAsync(
        DateTimeOffset endedAfter,
        DateTimeOffset endedUpTo,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        await using var connection = await OpenAsync(ct);
        var runs = await QueryAsync(
            connection,
            null,
            "SELECT kind, state, COUNT(*) FROM runs GROUP BY kind, state;",
            r => new StateCount(r.GetString(0), r.GetString(1), r.GetInt64(2)),
            ct
        );
        var tasks = await QueryAsync(
            connection,
            null,
            "SELECT kind, state, COUNT(*) FROM tasks GROUP BY kind, state;",
            r => new StateCount(r.GetString(0), r.GetString(1), r.GetInt64(2)),
            ct
        );
        var retries = (
            await QueryAsync(
                connection,
                null,
                "SELECT kind, SUM(attempt - 1) FROM tasks GROUP BY kind;",
                r =>
                    (
                        Kind: r.GetString(0),
                        Count: r.IsDBNull(1)
                            ? 0
                            : Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture)
                    ),
                ct
            )
        ).ToDictionary(r => r.Kind, r => r.Count, StringComparer.Ordinal);
        var pending = await QueryAsync(
            connection,
            null,
            $"SELECT requirements, COUNT(*) FROM tasks WHERE state = 'Pending' GROUP BY requirements;",
            r => (Labels: FromJson<Dictionary<string, string>>(r.GetString(0)), Count: r.GetInt64(1)),
            ct
        );
        var queue = pending
            .GroupBy(p => LabelSet(p.Labels), StringComparer.Ordinal)
            .Select(g => new QueueCount(g.Key, g.First().Labels, g.Sum(p => p.Count)))
            .ToList();
        var live = await QueryAsync(
            connection,
            null,
            $"SELECT requirements, COUNT(*) FROM tasks WHERE state IN ('Leased', 'Running') GROUP BY requirements;",
            r => (Driver: DriverOf(FromJson<Dictionary<string, string>>(r.GetString(0))), Count: r.GetInt64(1)),
            ct
        );
        var running = live.GroupBy(l => l.Driver, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(l => l.Count), StringComparer.Ordinal);
        var window = new (string, object?)[] { ("@after", Ms(endedAfter)), ("@upto", Ms(endedUpTo)) };
        var endedTasks = await QueryAsync(
            connection,
            null,
            $"SELECT {TaskColumns} FROM tasks WHERE ended_at > @after AND ended_at <= @upto;",
            ReadTask,
            ct,
            window
        );
        var endedRuns = await QueryAsync(
            connection,
            null,
            $"SELECT {RunColumns} FROM runs WHERE ended_at > @after AND ended_at <= @upto;",
            ReadRun,
            ct,
            window
        );
        var locks = await SampleLocksAsync(connection, now, ct);
        return new MetricsSample(runs, tasks, retries, queue, running, endedTasks, endedRuns, locks);
    }

    /// <summary>
    /// The driver a task asked for (its <c>driver.NAME=true</c> requirement), "any" when it left the choice to the
    /// agent.
    /// </summary>
    public static string DriverOf(IReadOnlyDictionary<string, string> requirements) =>
        requirements.Keys.FirstOrDefault(k => k.StartsWith("driver.", StringComparison.Ordinal))?["driver.".Length..]
        ?? "any";

    private static string LabelSet(Dictionary<string, string> labels) =>
        string.Join(",", labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    private static async Task<List<LockSample>> SampleLocksAsync(
        DbConnection connection,
        DateTimeOffset now,
        CancellationToken ct
    )
    {
        var at = Ms(now);
        return await QueryAsync(
            connection,
            null,
            """
            SELECT l.name, CASE WHEN l.holder_task IS NULL THEN NULL ELSE l.since END, COUNT(w.ticket), MIN(w.queued_at)
            FROM locks l LEFT JOIN lock_waiters w ON w.lock_name = l.name
            WHERE l.holder_task IS NOT NULL OR w.ticket IS NOT NULL
            GROUP BY l.name, l.holder_task, l.since;
            """,
            r => new LockSample(
                r.GetString(0),
                r.IsDBNull(1) ? null : TimeSpan.FromMilliseconds(Math.Max(0, at - r.GetInt64(1))),
                Convert.ToInt32(r.GetValue(2), System.Globalization.CultureInfo.InvariantCulture),
                r.IsDBNull(3)
                    ? null
                    : TimeSpan.FromMilliseconds(
                        Math.Max(
                            0,
                            at - Convert.ToInt64(r.GetValue(3), System.Globalization.CultureInfo.InvariantCulture)
                        )
                    )
            ),
            ct
        );
    }
}
