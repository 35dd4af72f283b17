using System.Globalization;
using System.Text;

namespace Hearth.Compose.Model;

/// <summary>Durations as Compose writes them (Go syntax: <c>1m30s</c>, <c>500ms</c>, <c>2h</c>).</summary>
public static class GoDuration
{
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 0.01),
        ("us", 10),
        ("µs", 10),
        ("μs", 10),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
            s = s[1..];
        if (s == "0")
            return true;
        if (s.Length == 0)
            return false;
        double ticks = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
                i++;
            if (
                start == i
                || !double.TryParse(
                    s[start..i],
                    NumberStyles.AllowDecimalPoint,
                    CultureInfo.InvariantCulture,
                    out var amount
                )
            )
                return false;
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
                i++;
            var unit = s[unitStart..i];
            var match = Units.FirstOrDefault(u => u.Unit == unit);
            if (match.Unit is null)
                return false;
            ticks += amount * match.Ticks;
            if (ticks > TimeSpan.MaxValue.Ticks)
                return false;
        }
        value = TimeSpan.FromTicks((long)Math.Round(ticks) * (negative ? -1 : 1));
        return true;
    }

    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
            return "0s";
        var sb = new StringBuilder();
        if (value < TimeSpan.Zero)
        {
            sb.Append('-');
            value = value.Negate();
        }
        if (value < TimeSpan.FromSeconds(1))
        {
            var ms = value.TotalMilliseconds;
            if (ms >= 1)
                return sb.Append(ms.ToString("0.######", CultureInfo.InvariantCulture)).Append("ms").ToString();
            return sb.Append((value.Ticks / 10.0).ToString("0.#", CultureInfo.InvariantCulture))
                .Append("µs")
                .ToString();
        }
        var hours = (long)value.TotalHours;
        if (hours > 0)
            sb.Append(hours).Append('h');
        if (hours > 0 || value.Minutes > 0)
            sb.Append(value.Minutes).Append('m');
        var seconds = value.Seconds + (value.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerSecond;
        sb.Append(seconds.ToString("0.#########", CultureInfo.InvariantCulture)).Append('s');
        return sb.ToString();
    }
}
