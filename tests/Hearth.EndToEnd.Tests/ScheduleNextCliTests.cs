using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>hearth schedule next: the real CLI, no server.</summary>
public sealed class ScheduleNextCliTests
{
    [Fact]
    public async Task Prints_fire_times_strictly_after_from_in_the_zone_across_a_dst_gap()
    {
        var result = await CliProcess.RunAsync([
            "schedule",
            "next",
            "30 2 * * *",
            "--tz",
            "America/New_York",
            "--from",
            "2026-03-07T02:30:00-05:00",
            "--count",
            "3",
        ]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        // Strictly after: the 7th's 02:30 itself is not listed; the 8th's 02:30 does not exist and fires at 03:00 EDT.
        Assert.Equal(
            "2026-03-08T03:00:00-04:00\n2026-03-09T02:30:00-04:00\n2026-03-10T02:30:00-04:00\n",
            result.Stdout
        );
    }

    [Fact]
    public async Task Json_output_is_an_array_of_instants_with_offsets()
    {
        var result = await CliProcess.RunAsync([
            "schedule",
            "next",
            "@every 1h30m",
            "--tz",
            "+05:30",
            "--from",
            "2026-01-01T00:00:00Z",
            "-n",
            "2",
            "--output",
            "json",
        ]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var times = JsonDocument
            .Parse(result.Stdout)
            .RootElement.EnumerateArray()
            .Select(e => e.GetString()!)
            .ToArray();
        Assert.Equal(["2026-01-01T07:00:00+05:30", "2026-01-01T08:30:00+05:30"], times);
        Assert.Equal("[\"2026-01-01T07:00:00+05:30\",\"2026-01-01T08:30:00+05:30\"]\n", result.Stdout);
    }

    [Fact]
    public async Task A_from_without_offset_is_a_wall_time_in_the_specs_zone()
    {
        var result = await CliProcess.RunAsync([
            "schedule",
            "next",
            "CRON_TZ=Europe/Berlin 0 9 * * *",
            "--from",
            "2026-07-01T09:00",
        ]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("2026-07-02T09:00:00+02:00\n", result.Stdout);
        Assert.Equal(5, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData(
        new[] { "0 25 * * *" },
        "hearth: Hours field (field 2 of 5) '25': value must be a number between 0 and 23"
    )]
    [InlineData(new[] { "* * * *" }, "expected 5 fields (Minutes, Hours, Days of month, Months, Days of week) or 6")]
    [InlineData(new[] { "@every 5x" }, "hearth: @every '5x'")]
    [InlineData(
        new[] { "0 9 * * *", "--tz", "Mars/Base" },
        "hearth: --tz: time zone 'Mars/Base': expected an IANA time zone"
    )]
    [InlineData(new[] { "0 9 * * *", "--from", "tomorrow" }, "hearth: --from: expected an ISO 8601 time")]
    [InlineData(new[] { "0 9 * * *", "--count", "0" }, "hearth: --count: expected 1 to 1000, got 0")]
    [InlineData(new[] { "0 9 * * *", "--count", "x" }, "hearth: --count: expected a whole number, got 'x'")]
    public async Task Usage_errors_exit_2_with_one_clear_line(string[] args, string expected)
    {
        var result = await CliProcess.RunAsync(["schedule", "next", .. args]);

        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_spec_that_never_fires_exits_1()
    {
        var result = await CliProcess.RunAsync(["schedule", "next", "0 0 30 2 *", "-o", "json"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("[]", result.Stdout.Trim());
        Assert.Contains("never fires", result.Stderr, StringComparison.Ordinal);
    }
}
