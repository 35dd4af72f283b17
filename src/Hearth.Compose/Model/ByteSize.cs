using System.Globalization;

namespace Hearth.Compose.Model;

/// <summary>
/// Byte quantities as Compose writes them: a number of bytes or <c>512m</c>, <c>1.5gb</c>, <c>20M</c>.
/// </summary>
public static class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToLowerInvariant();
        if (Schema.ScalarParsing.TryInteger(s, out bytes))
            return bytes >= 0;
        var i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            i++;
        if (
            i == 0
            || !double.TryParse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
        )
            return false;
        long multiplier = s[i..].Trim() switch
        {
            "b" => 1,
            "k" or "kb" or "kib" => 1L << 10,
            "m" or "mb" or "mib" => 1L << 20,
            "g" or "gb" or "gib" => 1L << 30,
            "t" or "tb" or "tib" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0 || amount * multiplier > long.MaxValue)
            return false;
        bytes = (long)(amount * multiplier);
        return true;
    }
}
