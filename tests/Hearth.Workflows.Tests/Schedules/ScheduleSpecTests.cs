using System.Globalization;
using Hearth.Workflows.Schedules;

namespace Hearth.Workflows.Tests.Schedules;

public sealed class ScheduleSpecTests
{
    private static readonly TimeZoneInfo NewYork = ScheduleZones.Resolve("America/New_York");

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static string[] Next(string spec, string from, int count, TimeZoneInfo? zone = null) =>
        ScheduleSpecParser
            .Parse(spec)
            .NextTimes(At(from), zone ?? TimeZoneInfo.Utc, count)
            .Select(t => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture))
            .ToArray();

    [Fact]
    public void Five_fields_are_minutes_first_and_six_fields_seconds_first()
    {
        Assert.Equal(
            ["2026-01-01T00:15:00+00:00", "2026-01-01T01:15:00+00:00"],
            Next("15 * * * *", "2026-01-01T00:00:00Z", 2)
        );
        Assert.Equal(
            ["2026-01-01T00:00:15+00:00", "2026-01-01T00:01:15+00:00"],
            Next("15 * * * * *", "2026-01-01T00:00:00Z", 2)
        );
    }

    [Fact]
    public void Next_is_strictly_after_from()
    {
        Assert.Equal(["2026-01-01T01:00:00+00:00"], Next("0 * * * *", "2026-01-01T00:00:00Z", 1));
    }

    [Fact]
    public void A_question_mark_means_any_day()
    {
        // 2026-01-05 is a Monday.
        Assert.Equal(
            ["2026-01-05T09:00:00+00:00", "2026-01-12T09:00:00+00:00"],
            Next("0 9 ? * MON", "2026-01-01T00:00:00Z", 2)
        );
        Assert.Equal(["2026-02-01T00:00:00+00:00"], Next("0 0 1 * ?", "2026-01-15T00:00:00Z", 1));
    }

    [Theory]
    [InlineData("@hourly", "2026-05-10T13:00:00+00:00")]
    [InlineData("@daily", "2026-05-11T00:00:00+00:00")]
    [InlineData("@midnight", "2026-05-11T00:00:00+00:00")]
    [InlineData("@weekly", "2026-05-17T00:00:00+00:00")]
    [InlineData("@monthly", "2026-06-01T00:00:00+00:00")]
    [InlineData("@yearly", "2027-01-01T00:00:00+00:00")]
    [InlineData("@annually", "2027-01-01T00:00:00+00:00")]
    [InlineData("@every_minute", "2026-05-10T12:31:00+00:00")]
    [InlineData("@EVERY_SECOND", "2026-05-10T12:30:01+00:00")]
    public void Macros_fire_at_their_times(string macro, string expected)
    {
        Assert.Equal([expected], Next(macro, "2026-05-10T12:30:00Z", 1));
    }

    [Theory]
    [InlineData("TZ=Europe/Berlin 0 9 * * *")]
    [InlineData("CRON_TZ=Europe/Berlin 0 9 * * *")]
    public void A_time_zone_prefix_wins_over_the_default_zone(string spec)
    {
        // 09:00 in Berlin is 08:00Z in winter; the default zone (New York) is not used.
        Assert.Equal(["2026-01-02T09:00:00+01:00"], Next(spec, "2026-01-01T12:00:00Z", 1, NewYork));
        Assert.Equal("Europe/Berlin", ScheduleSpecParser.Parse(spec).ZoneName);
    }

    [Fact]
    public void A_fixed_offset_zone_has_no_daylight_saving_time()
    {
        Assert.Equal(
            ["2026-07-01T09:00:00+05:30", "2026-07-02T09:00:00+05:30"],
            Next("0 9 * * *", "2026-07-01T00:00:00Z", 2, ScheduleZones.Resolve("+05:30"))
        );
        Assert.Equal(["2026-07-01T09:00:00-08:00"], Next("TZ=-08:00 0 9 * * *", "2026-07-01T00:00:00Z", 1));
    }

    [Fact]
    public void Every_interval_is_anchored_at_the_unix_epoch()
    {
        // 1h30m = 5400 s; 2026-01-01T00:00:00Z is 1767225600 s = 327264 × 5400 after the epoch.
        Assert.Equal(
            ["2026-01-01T01:30:00+00:00", "2026-01-01T03:00:00+00:00", "2026-01-01T04:30:00+00:00"],
            Next("@every 1h30m", "2026-01-01T00:00:00Z", 3)
        );
        // The same instants from any starting point: restarts and other servers agree.
        Assert.Equal(["2026-01-01T03:00:00+00:00"], Next("@every 1h30m", "2026-01-01T01:30:00Z", 1));
        Assert.Equal(["2026-01-01T03:00:00+00:00"], Next("@every 1h30m", "2026-01-01T02:59:59Z", 1));
        Assert.Equal(["2026-01-01T00:00:45+00:00"], Next("@every 45s", "2026-01-01T00:00:00Z", 1));
        // A zone only changes how the instant is written (19:30Z is a multiple of 1h30m).
        Assert.Equal(
            ["2026-01-01T01:00:00+05:30"],
            Next("@every 1h30m", "2025-12-31T19:00:00Z", 1, ScheduleZones.Resolve("+05:30"))
        );
    }

    [Fact]
    public void A_missing_hour_in_a_spring_forward_gap_fires_when_the_gap_ends()
    {
        // New York skips 02:00-03:00 on 2026-03-08: 02:30 fires at 03:00 EDT, once; the next day at 02:30 again.
        Assert.Equal(
            ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"],
            Next("30 2 * * *", "2026-03-07T12:00:00Z", 2, NewYork)
        );
    }

    [Fact]
    public void A_repeated_hour_in_a_fall_back_overlap_fires_a_fixed_time_once()
    {
        // 01:30 happens twice on 2026-11-01 (EDT, then EST): a job at 01:30 runs at the first only.
        Assert.Equal(
            ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"],
            Next("30 1 * * *", "2026-10-31T12:00:00Z", 2, NewYork)
        );
    }

    [Fact]
    public void An_interval_spec_in_a_fall_back_overlap_fires_in_both_passes()
    {
        // "every 30 minutes" keeps its pace through the repeated hour: both 01:00 and both 01:30.
        Assert.Equal(
            [
                "2026-11-01T01:00:00-04:00",
                "2026-11-01T01:30:00-04:00",
                "2026-11-01T01:00:00-05:00",
                "2026-11-01T01:30:00-05:00",
                "2026-11-01T02:00:00-05:00",
            ],
            Next("*/30 * * * *", "2026-11-01T04:45:00Z", 5, NewYork)
        );
    }

    [Theory]
    [InlineData("60 * * * *", "Minutes field (field 1 of 5) '60'")]
    [InlineData("* 24 * * *", "Hours field (field 2 of 5) '24'")]
    [InlineData("* * 32 * *", "Days of month field (field 3 of 5) '32'")]
    [InlineData("* * * 13 *", "Months field (field 4 of 5) '13'")]
    [InlineData("* * * * MONDAY", "Days of week field (field 5 of 5) 'MONDAY'")]
    [InlineData("61 * * * * *", "Seconds field (field 1 of 6) '61'")]
    [InlineData(
        "* * * *",
        "expected 5 fields (Minutes, Hours, Days of month, Months, Days of week) or 6 (Seconds first), got 4; Days of week missing"
    )]
    [InlineData(
        "* * * * * * *",
        "expected 5 fields (Minutes, Hours, Days of month, Months, Days of week) or 6 (Seconds first), got 7"
    )]
    [InlineData("@fortnightly", "macro '@fortnightly': expected @yearly")]
    [InlineData("@every 1d", "@every '1d': unit 'd' is unknown or repeated")]
    [InlineData("@every 0s", "@every '0s': expected a duration from 1s")]
    [InlineData("@every", "@every: expected a duration")]
    [InlineData("TZ=Mars/Olympus 0 9 * * *", "TZ prefix: time zone 'Mars/Olympus': expected an IANA time zone")]
    [InlineData("TZ=UTC @every 1h", "a time zone has no meaning for @every")]
    [InlineData("H * * * *", "Minutes field 'H': H (hashed values) is not supported")]
    [InlineData("", "schedule: empty")]
    public void A_bad_spec_names_the_field_and_what_was_expected(string spec, string message)
    {
        var e = Assert.Throws<ScheduleSpecException>(() => ScheduleSpecParser.Parse(spec));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Cronos", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_out_of_range_field_says_the_range()
    {
        var e = Assert.Throws<ScheduleSpecException>(() => ScheduleSpecParser.Parse("0 25 * * *"));
        Assert.Contains("between 0 and 23", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+05:30", 330)]
    [InlineData("-08:00", -480)]
    [InlineData("+0530", 330)]
    [InlineData("UTC", 0)]
    public void Fixed_offsets_resolve(string name, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), ScheduleZones.Resolve(name).BaseUtcOffset);
    }

    [Theory]
    [InlineData("+15:00")]
    [InlineData("../../etc/passwd")]
    [InlineData("Nowhere/City")]
    public void Bad_zones_are_refused(string name)
    {
        Assert.False(ScheduleZones.TryResolve(name, out _, out var error));
        Assert.Contains($"time zone '{name}'", error, StringComparison.Ordinal);
    }
}
