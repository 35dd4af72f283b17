using System.Globalization;

namespace Hearth.Core;

/// <summary>Go-style durations as users write them: "90s", "10m", "1h30m", "250ms".</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var s = text.Trim();
        var total = 0.0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
                i++;
            if (start == i)
                return false;
            if (
                !double.TryParse(
                    s.AsSpan(start, i - start),
                    NumberStyles.AllowDecimalPoint,
                    CultureInfo.InvariantCulture,
                    out var number
                )
            )
                return false;
            var unitStart = i;
            while (i < s.Length && char.IsAsciiLetter(s[i]))
                i++;
            double? ms = s[unitStart..i] switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                _ => null,
            };
            if (ms is null)
                return false;
            total += number * ms.Value;
        }
        if (total > TimeSpan.MaxValue.TotalMilliseconds / 2)
            return false;
        value = TimeSpan.FromMilliseconds(total);
        return true;
    }

    public static TimeSpan Parse(string text, string what) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"{what}: '{text}' is not a duration (expected e.g. 30s, 10m, 1h30m, 500ms)");

    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1))
            return $"{(int)value.TotalMilliseconds}ms";
        var parts = new List<string>();
        if (value.Days > 0)
            parts.Add($"{value.Days}d");
        if (value.Hours > 0)
            parts.Add($"{value.Hours}h");
        if (value.Minutes > 0)
            parts.Add($"{value.Minutes}m");
        if (value.Seconds > 0 || parts.Count == 0)
            parts.Add($"{value.Seconds}s");
        return string.Concat(parts);
    }
}
