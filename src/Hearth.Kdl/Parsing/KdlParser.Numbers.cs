using System.Globalization;
using System.Numerics;

namespace Hearth.Kdl.Parsing;

/// <summary>Decimal, hex, octal and binary numbers.</summary>
internal sealed partial class KdlParser
{
    private KdlNumber ParseNumber(ReadOnlySpan<char> token, int tokenStart, string? type, int start)
    {
        int i = 0;
        bool negative = false;
        if (token[0] is '+' or '-')
        {
            negative = token[0] == '-';
            i = 1;
        }

        if (token[i] == '.')
        {
            throw ErrorAt(
                tokenStart,
                "a number needs a digit before the decimal point (write 0.5, not .5); quote it if it is a string"
            );
        }

        if (token[i] == '0' && i + 1 < token.Length && token[i + 1] is 'x' or 'o' or 'b')
        {
            int radix = token[i + 1] switch
            {
                'x' => 16,
                'o' => 8,
                _ => 2,
            };
            string text = ParseRadixInteger(token[(i + 2)..], radix, negative, tokenStart);
            return new KdlNumber(KdlNumberKind.Integer, text, type, _source, start);
        }

        return ParseDecimal(token, i, negative, tokenStart, type, start);
    }

    private string ParseRadixInteger(ReadOnlySpan<char> digits, int radix, bool negative, int tokenStart)
    {
        string name = radix switch
        {
            16 => "hexadecimal",
            8 => "octal",
            _ => "binary",
        };
        if (digits.IsEmpty || digits[0] == '_')
        {
            throw ErrorAt(tokenStart, $"a {name} number needs a digit after its prefix");
        }

        ulong small = 0;
        BigInteger? big = null;
        int shift = radix switch
        {
            16 => 4,
            8 => 3,
            _ => 1,
        };
        foreach (char c in digits)
        {
            if (c == '_')
            {
                continue;
            }

            int d = DigitValue(c);
            if (d < 0 || d >= radix)
            {
                throw ErrorAt(tokenStart, $"'{c}' is not a valid {name} digit");
            }

            if (big is null && small >> (64 - shift) == 0)
            {
                small = (small << shift) | (uint)d;
            }
            else
            {
                big = ((big ?? small) << shift) | d;
            }
        }

        BigInteger value = big ?? small;
        return (negative ? -value : value).ToString(CultureInfo.InvariantCulture);
    }

    private KdlNumber ParseDecimal(
        ReadOnlySpan<char> token,
        int i,
        bool negative,
        int tokenStart,
        string? type,
        int start
    )
    {
        int integerStart = i;
        i = SkipDigits(token, i);
        int integerEnd = i;
        int fractionStart = -1,
            fractionEnd = -1;
        if (i < token.Length && token[i] == '.')
        {
            i++;
            if (i >= token.Length || !char.IsAsciiDigit(token[i]))
            {
                throw ErrorAt(tokenStart, "a decimal point must be followed by a digit");
            }

            fractionStart = i;
            i = SkipDigits(token, i);
            fractionEnd = i;
        }

        int exponentStart = -1;
        if (i < token.Length && token[i] is 'e' or 'E')
        {
            i++;
            exponentStart = i;
            if (i < token.Length && token[i] is '+' or '-')
            {
                i++;
            }

            if (i >= token.Length || !char.IsAsciiDigit(token[i]))
            {
                throw ErrorAt(tokenStart, "an exponent must have digits after 'e'");
            }

            i = SkipDigits(token, i);
        }

        if (i < token.Length)
        {
            throw ErrorAt(
                tokenStart,
                $"'{token}' is not a valid number (unexpected '{token[i]}'); quote it if it is a string"
            );
        }

        if (fractionStart < 0 && exponentStart < 0)
        {
            string digits = WithoutUnderscores(token[integerStart..integerEnd]);
            string text =
                digits.Length <= 18
                    ? (
                        negative
                            ? -long.Parse(digits, CultureInfo.InvariantCulture)
                            : long.Parse(digits, CultureInfo.InvariantCulture)
                    ).ToString(CultureInfo.InvariantCulture)
                    : (
                        negative
                            ? -BigInteger.Parse(digits, CultureInfo.InvariantCulture)
                            : BigInteger.Parse(digits, CultureInfo.InvariantCulture)
                    ).ToString(CultureInfo.InvariantCulture);
            return new KdlNumber(KdlNumberKind.Integer, text, type, _source, start);
        }

        var canonical = new System.Text.StringBuilder(token.Length + 2);
        if (negative)
        {
            canonical.Append('-');
        }

        canonical.Append(WithoutUnderscores(token[integerStart..integerEnd]));
        if (fractionStart >= 0)
        {
            canonical.Append('.').Append(WithoutUnderscores(token[fractionStart..fractionEnd]));
        }

        if (exponentStart >= 0)
        {
            canonical.Append('E');
            var exponent = token[exponentStart..];
            if (exponent[0] is '+' or '-')
            {
                canonical.Append(exponent[0]);
                exponent = exponent[1..];
            }
            else
            {
                canonical.Append('+');
            }

            canonical.Append(WithoutUnderscores(exponent));
        }

        return new KdlNumber(KdlNumberKind.Decimal, canonical.ToString(), type, _source, start);
    }

    /// <summary>Digits and underscores, starting with a digit (the caller checked the first).</summary>
    private static int SkipDigits(ReadOnlySpan<char> token, int i)
    {
        while (i < token.Length && (char.IsAsciiDigit(token[i]) || token[i] == '_'))
        {
            i++;
        }

        return i;
    }

    private static string WithoutUnderscores(ReadOnlySpan<char> digits) =>
        digits.Contains('_')
            ? digits.ToString().Replace("_", string.Empty, StringComparison.Ordinal)
            : digits.ToString();

    private static int DigitValue(char c) =>
        c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
}
