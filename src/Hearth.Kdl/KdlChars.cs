namespace Hearth.Kdl;

/// <summary>Character classes from the KDL 2 specification.</summary>
public static class KdlChars
{
    /// <summary>CR, LF, NEL, VT, FF, LS and PS. CRLF counts as one newline, which callers handle.</summary>
    public static bool IsNewline(int c) =>
        c is '\n' or '\r' or '\u000B' or '\u000C' or '\u0085' or '\u2028' or '\u2029';

    /// <summary>Unicode White_Space characters that are not newlines.</summary>
    public static bool IsUnicodeSpace(int c) =>
        c is '\t' or ' ' or '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200A') or '\u202F' or '\u205F' or '\u3000';

    /// <summary>Code points that may not appear literally anywhere in a document (the BOM only at its start).</summary>
    public static bool IsDisallowedLiteral(int c) =>
        c
            is (>= 0 and <= 8)
                or (>= 0x0E and <= 0x1F)
                or 0x7F
                or (>= 0xD800 and <= 0xDFFF)
                or 0x200E
                or 0x200F
                or (>= 0x202A and <= 0x202E)
                or (>= 0x2066 and <= 0x2069)
                or 0xFEFF;

    /// <summary>Whether the code point may appear in a bare identifier.</summary>
    public static bool IsIdentifierChar(int c)
    {
        if (c < 0x80)
        {
            return c > 0x20
                && c != 0x7F
                && c is not ('\\' or '/' or '(' or ')' or '{' or '}' or ';' or '[' or ']' or '"' or '#' or '=');
        }

        return !IsUnicodeSpace(c) && !IsNewline(c) && !IsDisallowedLiteral(c);
    }

    /// <summary>Identifiers that would be read as keywords if they were not quoted.</summary>
    public static bool IsReservedIdentifier(ReadOnlySpan<char> s) =>
        s is "true" or "false" or "null" or "inf" or "-inf" or "nan";

    /// <summary>
    /// Whether <paramref name="s"/> can be written without quotes: non-empty, only identifier characters,
    /// not confusable with a number, and not a reserved word.
    /// </summary>
    public static bool IsBareIdentifier(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty || IsReservedIdentifier(s) || LooksNumeric(s))
        {
            return false;
        }

        for (int i = 0; i < s.Length; i++)
        {
            int c = s[i];
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                c = char.ConvertToUtf32(s[i], s[i + 1]);
                i++;
            }

            if (!IsIdentifierChar(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when a bare token starts like a number: a digit, or a sign and/or dot followed by a digit.
    /// </summary>
    internal static bool LooksNumeric(ReadOnlySpan<char> s)
    {
        int i = 0;
        if (i < s.Length && s[i] is '+' or '-')
        {
            i++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
        }

        return i < s.Length && char.IsAsciiDigit(s[i]);
    }
}
