using System.Text.RegularExpressions;
using Cronos;

namespace Hearth.Workflows.Schedules;

/// <summary>
/// Reads a schedule spec: an optional <c>TZ=ZONE</c> or <c>CRON_TZ=ZONE</c> prefix, then a cron expression of 5 fields
/// (minute hour day-of-month month day-of-week) or 6 (seconds first), a macro (<c>@hourly</c>, <c>@daily</c>,
/// <c>@midnight</c>, <c>@weekly</c>, <c>@monthly</c>, <c>@yearly</c>, <c>@annually</c>, <c>@every_minute</c>,
/// <c>@every_second</c>), or <c>@every DURATION</c>. Cron fields are parsed by Cronos; errors are reworded here
/// so that each names the field and what it expects.
/// </summary>
public static partial class ScheduleSpecParser
{
    /// <summary>
    /// The fields of a 6-field expression, named as Cronos names them; a 5-field one starts at Minutes.
    /// </summary>
    private static readonly (string Name, string Expected)[] Fields =
    [
        ("Seconds", "0-59"),
        ("Minutes", "0-59"),
        ("Hours", "0-23"),
        ("Days of month", "1-31, L, W, ?"),
        ("Months", "1-12 or JAN-DEC"),
        ("Days of week", "0-7 or SUN-SAT (0 and 7 are Sunday), L, #, ?"),
    ];

    private const string Shapes = "a number, *, a range a-b, a list a,b, a step */n or a-b/n";

    public static bool TryParse(
        string text,
        out ScheduleSpec? spec,
        out string error,
        ScheduleFormat format = ScheduleFormat.Any
    )
    {
        try
        {
            spec = Parse(text, format);
            error = "";
            return true;
        }
        catch (ScheduleSpecException e)
        {
            spec = null;
            error = e.Message;
            return false;
        }
    }

    /// <exception cref="ScheduleSpecException">The spec is not one; the message says where and what was
    /// expected.</exception>
    public static ScheduleSpec Parse(string text, ScheduleFormat format = ScheduleFormat.Any)
    {
        var rest = text.Trim();
        if (rest.Length == 0)
            throw new ScheduleSpecException(
                "schedule: empty; expected a cron expression (5 or 6 fields), a macro such as @daily, or @every 1h"
            );
        string? zoneName = null;
        TimeZoneInfo? zone = null;
        if (rest.StartsWith("TZ=", StringComparison.Ordinal) || rest.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var end = rest.IndexOfAny([' ', '\t']);
            if (end < 0)
                throw new ScheduleSpecException($"schedule '{text}': expected a cron expression after the time zone");
            var prefix = rest[..end];
            zoneName = prefix[(prefix.IndexOf('=') + 1)..];
            if (!ScheduleZones.TryResolve(zoneName, out var resolved, out var zoneError))
                throw new ScheduleSpecException($"{prefix[..prefix.IndexOf('=')]} prefix: {zoneError}");
            zone = resolved;
            rest = rest[end..].Trim();
        }

        if (
            rest.StartsWith("@every ", StringComparison.OrdinalIgnoreCase)
            || rest.StartsWith("@every\t", StringComparison.OrdinalIgnoreCase)
            || string.Equals(rest, "@every", StringComparison.OrdinalIgnoreCase)
        )
        {
            if (zone is not null)
                throw new ScheduleSpecException(
                    $"schedule '{text}': a time zone has no meaning for @every (an interval counts "
                        + "from 1970-01-01T00:00:00Z); drop the prefix"
                );
            var interval = ScheduleInterval.Parse(rest.Length > 6 ? rest[6..].Trim() : "");
            return new ScheduleSpec(text, null, null, null, interval);
        }

        return new ScheduleSpec(text, zoneName, zone, ParseCron(text, rest, format), null);
    }

    private static CronExpression ParseCron(string text, string expression, ScheduleFormat format)
    {
        if (expression.StartsWith('@'))
        {
            return TryCronos(expression, CronFormat.Standard)
                ?? throw new ScheduleSpecException(
                    $"macro '{expression}': expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, "
                        + "@every_minute, @every_second or @every DURATION"
                );
        }
        var parts = expression.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var six = format switch
        {
            ScheduleFormat.SixFields => true,
            ScheduleFormat.FiveFields => false,
            _ => parts.Length == 6,
        };
        var names = Fields.Skip(six ? 0 : 1).ToArray();
        if (parts.Length != names.Length)
        {
            var expected =
                format == ScheduleFormat.Any
                    ? $"5 fields ({Names(Fields.Skip(1))}) or 6 (Seconds first)"
                    : $"{names.Length} fields ({Names(names)})";
            var missing = parts.Length < names.Length ? $"; {Names(names.Skip(parts.Length))} missing" : "";
            throw new ScheduleSpecException($"schedule '{text}': expected {expected}, got {parts.Length}{missing}");
        }
        for (var i = 0; i < parts.Length; i++)
        {
            if (HashedValue().IsMatch(parts[i]))
                throw new ScheduleSpecException(
                    $"{names[i].Name} field '{parts[i]}': H (hashed values) is not supported; "
                        + $"expected {Shapes} within {names[i].Expected}"
                );
        }
        var cronFormat = six ? CronFormat.IncludeSeconds : CronFormat.Standard;
        try
        {
            return CronExpression.Parse(expression, cronFormat);
        }
        catch (CronFormatException e)
        {
            var field = names
                .Select((f, i) => (f, i))
                .FirstOrDefault(x => e.Message.Contains(x.f.Name, StringComparison.Ordinal));
            if (field.f.Name is null)
                throw new ScheduleSpecException($"schedule '{text}': {e.Message}");
            var detail = e
                .Message.Replace(field.f.Name + ": ", "", StringComparison.Ordinal)
                .Replace("The given cron expression has an invalid format.", "", StringComparison.Ordinal)
                .Trim()
                .TrimEnd('.');
            if (detail.Length > 0)
                detail = char.ToLowerInvariant(detail[0]) + detail[1..];
            throw new ScheduleSpecException(
                $"{field.f.Name} field (field {field.i + 1} of {names.Length}) '{parts[field.i]}': "
                    + $"{detail}; expected {Shapes} within {field.f.Expected}"
            );
        }
    }

    private static string Names(IEnumerable<(string Name, string Expected)> fields) =>
        string.Join(", ", fields.Select(f => f.Name));

    [GeneratedRegex("(?<![A-Za-z])[Hh](?![A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex HashedValue();

    private static CronExpression? TryCronos(string expression, CronFormat format) =>
        CronExpression.TryParse(expression, format, out var parsed) ? parsed : null;
}
