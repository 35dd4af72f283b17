using Hearth.Core.Schedules;
using Hearth.Workflows.Schedules;

namespace Hearth.Workflows.Tests.Schedules;

public sealed class ScheduleDueTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DueDecision Decide(
        string spec,
        DateTimeOffset cursor,
        DateTimeOffset now,
        MissedRunPolicy policy = MissedRunPolicy.Skip
    ) => ScheduleDue.Decide(ScheduleSpecParser.Parse(spec), TimeZoneInfo.Utc, cursor, now, policy, Grace);

    [Fact]
    public void Nothing_is_due_before_the_first_fire_time()
    {
        Assert.Equal(new DueDecision(null, T0, 0), Decide("0 * * * *", T0, T0.AddMinutes(59)));
    }

    [Fact]
    public void A_fire_time_within_the_grace_fires_and_becomes_the_cursor()
    {
        Assert.Equal(new DueDecision(T0.AddHours(1), T0.AddHours(1), 0), Decide("0 * * * *", T0, T0.AddHours(1)));
        Assert.Equal(
            new DueDecision(T0.AddHours(1), T0.AddHours(1), 0),
            Decide("0 * * * *", T0, T0.AddHours(1).AddSeconds(59))
        );
    }

    [Fact]
    public void Times_missed_while_down_are_skipped_by_default()
    {
        // Down from 00:30 to 05:10: 01:00 to 05:00 passed, the latest 10 minutes ago; none fires, the cursor moves on.
        Assert.Equal(
            new DueDecision(null, T0.AddHours(5), 5),
            Decide("0 * * * *", T0.AddMinutes(30), T0.AddHours(5).AddMinutes(10))
        );
    }

    [Fact]
    public void Times_missed_while_down_fire_once_for_the_latest_under_once()
    {
        Assert.Equal(
            new DueDecision(T0.AddHours(5), T0.AddHours(5), 4),
            Decide("0 * * * *", T0.AddMinutes(30), T0.AddHours(5).AddMinutes(10), MissedRunPolicy.Once)
        );
    }

    [Fact]
    public void An_on_time_fire_after_missed_ones_fires_itself_only()
    {
        Assert.Equal(
            new DueDecision(T0.AddHours(3), T0.AddHours(3), 2),
            Decide("0 * * * *", T0.AddMinutes(30), T0.AddHours(3).AddSeconds(5))
        );
    }

    [Fact]
    public void Intervals_count_their_missed_times_without_scanning()
    {
        var now = T0.AddDays(30).AddSeconds(10);
        Assert.Equal(
            new DueDecision(T0.AddDays(30), T0.AddDays(30), 30 * 86400 - 1),
            Decide("@every 1s", T0, now.AddSeconds(-10).AddMilliseconds(500))
        );
        Assert.Equal(new DueDecision(null, T0.AddDays(30), 720), Decide("@every 1h", T0, now.AddMinutes(5)));
    }

    [Fact]
    public void A_per_second_cron_after_a_long_outage_still_finds_the_latest()
    {
        var now = T0.AddDays(3);
        Assert.Equal(T0.AddDays(3), Decide("* * * * * *", T0, now, MissedRunPolicy.Once).FireAt);
    }
}
