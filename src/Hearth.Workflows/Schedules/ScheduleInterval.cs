using System.Globalization;

namespace Hearth.Workflows.Schedules;

/// <summary>
/// The duration of <c>@every</c>: Go's syntax with hours, minutes and seconds (<c>1h30m</c>, <c>90s</c>).
/// </summary>
public static class ScheduleInterval
{
    public static readonly TimeSpan Minimum = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Maximum = TimeSpan.FromDays(366);

    public static TimeSpan Parse(string text)
    {
        const string expected = "expected a duration such as 30s, 15m, 1h30m (units h, m, s; whole numbers)";
        if (text.Length == 0)
            throw new ScheduleSpecException($"@every: {expected}");
        var total = TimeSpan.Zero;
        var seen = new HashSet<char>();
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
                i++;
            if (i == start || i == text.Length)
                throw new ScheduleSpecException($"@every '{text}': {expected}");
            var unit = text[i++];
            if (unit is not ('h' or 'm' or 's') || !seen.Add(unit))
                throw new ScheduleSpecException($"@every '{text}': unit '{unit}' is unknown or repeated; {expected}");
            if (
                !long.TryParse(
                    text.AsSpan(start, i - 1 - start),
                    NumberStyles.None,
                    CultureInfo.InvariantCulture,
                    out var n
                )
                || n > (long)Maximum.TotalSeconds
            )
                throw new ScheduleSpecException($"@every '{text}': at most {Maximum.TotalDays:0} days");
            total += unit switch
            {
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }
        if (total < Minimum || total > Maximum)
            throw new ScheduleSpecException(
                $"@every '{text}': expected a duration from 1s to {Maximum.TotalDays:0} days"
            );
        return total;
    }
}
