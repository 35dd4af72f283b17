using Hearth.Store.Schedules;
using Hearth.Workflows.Schedules;

namespace Hearth.Server.Schedules;

/// <summary>
/// Fires due schedules, once a second, on every server: each fire time goes through the one creation path under an
/// idempotency key of (schedule, fire time), so servers sharing a database that fire the same time make one run; the
/// cursor then moves by compare-and-set. What is due is the pure <see cref="ScheduleDue"/>; time comes from the
/// <see cref="TimeProvider"/>.
/// </summary>
public sealed class Scheduler(
    IScheduleStore schedules,
    ScheduleService service,
    TimeProvider time,
    ILogger<Scheduler> logger
) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>How late a fire time may be and still count as on time (a slow tick, a server restarting).</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);

    /// <summary>One pass over every schedule; returns the runs it fired (created or found under their key).</summary>
    public async Task<IReadOnlyList<string>> TickAsync(CancellationToken ct)
    {
        var fired = new List<string>();
        var now = time.GetUtcNow();
        foreach (var schedule in await schedules.ListAsync(ct))
        {
            try
            {
                if (await PassAsync(schedule, now, ct) is { } runId)
                    fired.Add(runId);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One schedule's failure (its database write, a zone the host no longer knows) does not stop the
                // others; its cursor did not move, so the next pass tries the same fire time again under the same key.
                logger.LogError(e, "schedule {Schedule}: pass failed; retrying", schedule.Name);
            }
        }
        return fired;
    }

    private async Task<string?> PassAsync(ScheduleRecord schedule, DateTimeOffset now, CancellationToken ct)
    {
        var spec = ScheduleSpecParser.Parse(schedule.Spec);
        var zone = ScheduleZones.Resolve(schedule.TimeZone ?? "UTC");
        var due = ScheduleDue.Decide(spec, zone, schedule.Cursor, now, schedule.Missed, Grace);
        if (due.Cursor == schedule.Cursor)
            return null;
        if (due.Missed > 0)
            logger.LogWarning(
                "schedule {Schedule}: {Missed} fire time(s) up to {Cursor:o} missed ({Policy})",
                schedule.Name,
                due.Missed,
                due.Cursor,
                schedule.Missed
            );
        string? runId = null,
            error = null;
        if (due.FireAt is { } at)
        {
            (runId, error) = await service.FireAsync(schedule, at, ct);
            if (error is not null)
                logger.LogWarning("schedule {Schedule} at {At:o}: {Error}", schedule.Name, at, error);
        }
        // Another server may have moved the cursor first: its run is this run (same key), so nothing is lost.
        await schedules.AdvanceAsync(
            schedule.Id,
            schedule.Cursor,
            new ScheduleAdvance(due.Cursor, due.FireAt, runId, error),
            ct
        );
        return runId;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "scheduler pass failed; retrying");
            }
            await Task.Delay(Interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
