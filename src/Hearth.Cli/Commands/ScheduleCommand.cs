using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hearth.Cli.Client;
using Hearth.Workflows.Schedules;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth schedule next "SPEC" [--tz Z] [--from T] [--count N]: a schedule's next fire times, no server needed.
/// </summary>
public static class ScheduleCommand
{
    public const int MaxCount = 1000;

    public static Command Create()
    {
        var spec = new Argument<string>("spec")
        {
            Description = "Cron spec: 5 or 6 fields, a macro (@daily), TZ=ZONE prefix, or @every 1h30m",
        };
        var tz = new Option<string?>("--tz")
        {
            Description = "Time zone for a spec without TZ=: IANA name (Europe/Berlin) or offset (+05:30); default UTC",
        };
        var from = new Option<string?>("--from")
        {
            Description = "Fire times strictly after this instant (ISO 8601; without an offset, in --tz); default now",
        };
        var count = new Option<int>("--count", "-n")
        {
            Description = "How many fire times (1 to 1000)",
            DefaultValueFactory = _ => 5,
        };
        var next = new Command("next", "Print the next fire times of a schedule spec, strictly after --from")
        {
            spec,
            tz,
            from,
            count,
        };
        next.SetAction(result =>
            Next(
                result.GetValue(spec)!,
                result.GetValue(tz),
                result.GetValue(from),
                result.GetValue(count),
                result.GetValue(CommonOptions.Output),
                TimeProvider.System
            )
        );
        return new Command("schedule", "Cron schedule specs: when they fire") { next };
    }

    public static int Next(
        string text,
        string? zoneName,
        string? fromText,
        int count,
        OutputFormat output,
        TimeProvider time
    )
    {
        if (count is < 1 or > MaxCount)
            throw new CliException($"--count: expected 1 to {MaxCount}, got {count}", 2);
        var zone = TimeZoneInfo.Utc;
        if (zoneName is not null && !ScheduleZones.TryResolve(zoneName, out zone, out var zoneError))
            throw new CliException($"--tz: {zoneError}", 2);
        ScheduleSpec parsed;
        try
        {
            parsed = ScheduleSpecParser.Parse(text);
        }
        catch (ScheduleSpecException e)
        {
            throw new CliException(e.Message, 2);
        }
        var after = fromText is null ? time.GetUtcNow() : ParseFrom(fromText, parsed.Zone ?? zone);
        var times = parsed.NextTimes(after, zone, count);
        var written = times
            .Select(t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture))
            .ToList();
        if (output == OutputFormat.Json)
        {
            // The issue asks for a bare array of instants here (one value per fire time), not an object.
            using var stdout = Console.OpenStandardOutput();
            // Offsets written as "+05:30", not "\u002B05:30": this is a terminal, not HTML.
            using (
                var json = new Utf8JsonWriter(
                    stdout,
                    new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }
                )
            )
            {
                json.WriteStartArray();
                foreach (var t in written)
                    json.WriteStringValue(t);
                json.WriteEndArray();
            }
            stdout.Write("\n"u8);
        }
        else
        {
            foreach (var t in written)
                Console.Out.WriteLine(t);
        }
        if (times.Count == 0)
        {
            Console.Error.WriteLine($"hearth: '{text}' never fires after {after:o}");
            return 1;
        }
        if (times.Count < count)
            Console.Error.WriteLine($"hearth: '{text}' fires only {times.Count} time(s) after {after:o}");
        return 0;
    }

    /// <summary>An ISO 8601 instant; one without an offset is a wall time in <paramref name="zone"/>.</summary>
    private static DateTimeOffset ParseFrom(string text, TimeZoneInfo zone)
    {
        const DateTimeStyles styles = DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.RoundtripKind;
        if (
            !DateTime.TryParse(text, CultureInfo.InvariantCulture, styles, out var parsed)
            || !text.Contains('T') && !text.Contains('-')
        )
            throw new CliException(
                $"--from: expected an ISO 8601 time such as 2026-03-08T01:30:00-05:00 or 2026-03-08T01:30, got '{text}'",
                2
            );
        if (parsed.Kind != DateTimeKind.Unspecified)
            return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces);
        if (zone.IsInvalidTime(parsed))
            throw new CliException(
                $"--from: {text} does not exist in {zone.Id} (the clocks skip it); give an offset",
                2
            );
        return new DateTimeOffset(parsed, zone.GetUtcOffset(parsed));
    }
}
