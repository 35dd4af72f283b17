using System.Globalization;
using Hearth.Workflows.Schedules;

namespace Hearth.Workflows.Tests.Schedules;

/// <summary>
/// Every vector of the cron fixtures (transcribed from Cronos' own tests) through Hearth's spec parser.
/// </summary>
public sealed class CronFixtureTests
{
    private static ScheduleFormat Format(string column) =>
        column switch
        {
            "5-field" => ScheduleFormat.FiveFields,
            "6-field" => ScheduleFormat.SixFields,
            _ => throw new InvalidDataException($"unknown format column '{column}'"),
        };

    [Fact]
    public void Every_next_occurrence_vector_gives_the_expected_instant()
    {
        var rows = CronFixtures.Read("cronos-next-occurrence.csv");
        Assert.Equal(1115, rows.Count);
        var failures = new List<string>();
        foreach (var row in rows)
        {
            var spec = ScheduleSpecParser.Parse(row["expression"], Format(row["format"]));
            var zone = ScheduleZones.Resolve(row["time_zone"]);
            var from = DateTimeOffset.Parse(row["from"], CultureInfo.InvariantCulture);
            var next = spec.Next(from, zone, inclusive: row["inclusive"] == "true");
            var expected = row["expected_next"] is ""
                ? (DateTimeOffset?)null
                : DateTimeOffset.Parse(row["expected_next"], CultureInfo.InvariantCulture);
            // Offsets count: the same instant in the wrong offset is a wrong answer for a zone.
            if (next != expected || next?.Offset != expected?.Offset)
                failures.Add(
                    $"row {row["id"]} '{row["expression"]}' {row["time_zone"]} from {row["from"]}: expected {row["expected_next"]}, got {next:o}"
                );
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_invalid_expression_is_refused_naming_its_field()
    {
        var rows = CronFixtures.Read("cronos-invalid-expressions.csv");
        Assert.Equal(330, rows.Count);
        var failures = new List<string>();
        foreach (var row in rows)
        {
            if (ScheduleSpecParser.TryParse(row["expression"], out _, out var error, Format(row["format"])))
                failures.Add($"row {row["id"]} '{row["expression"]}' ({row["format"]}) was accepted");
            else if (!error.Contains(row["error_message_contains"], StringComparison.Ordinal))
                failures.Add(
                    $"row {row["id"]} '{row["expression"]}': '{error}' does not name '{row["error_message_contains"]}'"
                );
            else if (
                error.Contains("Exception", StringComparison.Ordinal)
                || error.Contains("Cronos", StringComparison.Ordinal)
                || error.Contains("invalid format", StringComparison.Ordinal)
                || !error.Contains("expected", StringComparison.Ordinal)
            )
                failures.Add($"row {row["id"]}: '{error}' names a .NET type or not what was expected");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_valid_macro_parses_in_both_formats()
    {
        var rows = CronFixtures.Read("cronos-valid-macros.csv");
        Assert.Equal(32, rows.Count);
        var from = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        foreach (var row in rows)
        {
            var spec = ScheduleSpecParser.Parse(row["expression"], Format(row["format"]));
            Assert.True(spec.Next(from, TimeZoneInfo.Utc) > from, $"row {row["id"]}");
        }
    }
}
