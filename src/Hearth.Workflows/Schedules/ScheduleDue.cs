using Hearth.Core.Schedules;

namespace Hearth.Workflows.Schedules;

/// <summary>
/// What one scheduler pass does with one schedule: which fire time to run (if any) and where the cursor goes.
/// </summary>
/// <param name="FireAt">The fire time to create a run for; null to create none.</param>
/// <param name="Cursor">The last fire time dealt with (fired or skipped); unchanged when none was due.</param>
/// <param name="Missed">Fire times that passed without a run of their own.</param>
public sealed record DueDecision(DateTimeOffset? FireAt, DateTimeOffset Cursor, int Missed);

/// <summary>
/// Decides, purely, what a schedule does at <c>now</c>: of the fire times after its cursor and at or before now, only
/// the latest can fire. It fires when it is on time (at most <c>grace</c> ago), or late under
/// <see cref="MissedRunPolicy.Once"/>; every earlier one was missed (Hearth was down, or the scheduler was stalled) and
/// never fires on its own.
/// </summary>
public static class ScheduleDue
{
    /// <summary>How far one pass scans a cron spec; a longer gap is scanned from a day before now.</summary>
    private const int MaxScan = 100_000;

    public static DueDecision Decide(
        ScheduleSpec spec,
        TimeZoneInfo zone,
        DateTimeOffset cursor,
        DateTimeOffset now,
        MissedRunPolicy policy,
        TimeSpan grace
    )
    {
        var (latest, count) = Latest(spec, zone, cursor, now);
        if (latest is not { } at)
            return new DueDecision(null, cursor, 0);
        var fire = now - at <= grace || policy == MissedRunPolicy.Once;
        return new DueDecision(fire ? at : null, at, fire ? count - 1 : count);
    }

    private static (DateTimeOffset? Latest, int Count) Latest(
        ScheduleSpec spec,
        TimeZoneInfo zone,
        DateTimeOffset cursor,
        DateTimeOffset now
    )
    {
        if (spec.Interval is { } every)
        {
            if (spec.Next(cursor, zone) is not { } first || first > now)
                return (null, 0);
            var count = (int)Math.Min(int.MaxValue, (now - first).Ticks / every.Ticks + 1);
            return (first + every * (count - 1), count);
        }
        DateTimeOffset? latest = null;
        var seen = 0;
        var from = cursor;
        for (var scanned = 0; spec.Next(from, zone) is { } next && next <= now; scanned++)
        {
            if (scanned == MaxScan)
            {
                // Tens of thousands of missed times (a per-second spec after a long outage): only the latest matters.
                from = now.AddDays(-1) > from ? now.AddDays(-1) : from;
                scanned = -1;
                continue;
            }
            latest = next;
            seen++;
            from = next;
        }
        return (latest, seen);
    }
}
