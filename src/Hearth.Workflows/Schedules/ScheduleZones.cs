using System.Globalization;
using System.Text.RegularExpressions;

namespace Hearth.Workflows.Schedules;

/// <summary>
/// Resolves a time zone a user names: an IANA name (<c>Europe/Berlin</c>), <c>UTC</c>/<c>Z</c>, or a fixed offset
/// (<c>+05:30</c>, <c>-08:00</c>, <c>+0530</c>, <c>+05</c>), which has no daylight saving time.
/// </summary>
public static partial class ScheduleZones
{
    [GeneratedRegex(@"^(?:UTC|GMT)?([+-])(\d{2})(?::?(\d{2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex OffsetPattern();

    public static bool TryResolve(string name, out TimeZoneInfo zone, out string error)
    {
        zone = TimeZoneInfo.Utc;
        error = "";
        if (name is "UTC" or "Z" or "Etc/UTC")
            return true;
        var offset = OffsetPattern().Match(name);
        if (offset.Success)
        {
            var hours = int.Parse(offset.Groups[2].Value, CultureInfo.InvariantCulture);
            var minutes = offset.Groups[3].Success
                ? int.Parse(offset.Groups[3].Value, CultureInfo.InvariantCulture)
                : 0;
            if (hours > 14 || minutes > 59 || (hours == 14 && minutes > 0))
            {
                error = $"time zone '{name}': an offset must be between -14:00 and +14:00";
                return false;
            }
            var span = new TimeSpan(hours, minutes, 0);
            if (offset.Groups[1].Value == "-")
                span = -span;
            var id = (span < TimeSpan.Zero ? "-" : "+") + span.ToString(@"hh\:mm", CultureInfo.InvariantCulture);
            zone = TimeZoneInfo.CreateCustomTimeZone(id, span, id, id);
            return true;
        }
        try
        {
            if (name.Length > 0 && !name.Contains("..", StringComparison.Ordinal) && !name.StartsWith('/'))
            {
                zone = TimeZoneInfo.FindSystemTimeZoneById(name);
                return true;
            }
        }
        catch (TimeZoneNotFoundException) { }
        catch (InvalidTimeZoneException) { }
        error =
            $"time zone '{name}': expected an IANA time zone (Europe/Berlin, America/New_York), UTC, "
            + "or a fixed offset such as +05:30";
        return false;
    }

    public static TimeZoneInfo Resolve(string name) =>
        TryResolve(name, out var zone, out var error) ? zone : throw new ScheduleSpecException(error);
}
