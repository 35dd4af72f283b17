using System.Globalization;

namespace Hearth.Compose.Schema;

/// <summary>How scalar text maps to numbers and booleans (YAML core schema, plus legacy <c>0755</c> octals).</summary>
public static class ScalarParsing
{
    public static bool TryInteger(string text, out long value)
    {
        value = 0;
        var s = text.Trim().Replace("_", "");
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+'))
            s = s[1..];
        if (s.Length == 0)
            return false;
        bool ok;
        try
        {
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                ok = long.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
            else if (s.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
                ok = TryBase(s[2..], 8, out value);
            else if (s.Length > 1 && s[0] == '0' && s.All(char.IsAsciiDigit))
                ok = TryBase(s[1..], 8, out value);
            else
                ok =
                    s.All(char.IsAsciiDigit)
                    && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        }
        catch (OverflowException)
        {
            ok = false;
        }
        if (negative)
            value = -value;
        return ok;
    }

    public static bool TryNumber(string text, out double value)
    {
        if (TryInteger(text, out var i))
        {
            value = i;
            return true;
        }
        var s = text.Trim();
        if (s is ".inf" or "+.inf" or ".Inf" or ".INF")
        {
            value = double.PositiveInfinity;
            return true;
        }
        if (s is "-.inf" or "-.Inf" or "-.INF")
        {
            value = double.NegativeInfinity;
            return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    public static bool TryBoolean(string text, out bool value)
    {
        switch (text.Trim())
        {
            case "true" or "True" or "TRUE":
                value = true;
                return true;
            case "false" or "False" or "FALSE":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static bool TryBase(string digits, int radix, out long value)
    {
        value = 0;
        if (digits.Length == 0)
            return false;
        foreach (var c in digits)
        {
            var d = c - '0';
            if (d < 0 || d >= radix)
                return false;
            value = checked(value * radix + d);
        }
        return true;
    }
}
