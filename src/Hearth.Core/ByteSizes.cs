using System.Globalization;

namespace Hearth.Core;

/// <summary>
/// Memory sizes as docker takes them: "512M", "1g", "64Mi", "1048576" (bytes). K/M/G are powers of 1024.
/// </summary>
public static class ByteSizes
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var s = text.Trim().ToLowerInvariant();
        if (s.EndsWith('b'))
            s = s[..^1];
        if (s.EndsWith('i'))
            s = s[..^1];
        long unit = 1;
        if (s.Length > 0 && "kmgt".Contains(s[^1]))
        {
            unit = s[^1] switch
            {
                'k' => 1L << 10,
                'm' => 1L << 20,
                'g' => 1L << 30,
                _ => 1L << 40,
            };
            s = s[..^1];
        }
        if (
            !double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number <= 0
        )
            return false;
        var value = number * unit;
        if (value > long.MaxValue / 2)
            return false;
        bytes = (long)value;
        return bytes > 0;
    }

    public static long Parse(string text, string what) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"{what}: '{text}' is not a size (expected e.g. 512M, 1G, 65536)");
}
