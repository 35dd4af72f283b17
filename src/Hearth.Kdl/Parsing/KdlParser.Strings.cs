using System.Globalization;

namespace Hearth.Kdl.Parsing;

/// <summary>Quoted, raw and multi-line strings.</summary>
internal sealed partial class KdlParser
{
    private string ParseQuotedString()
    {
        int start = _pos;
        if (Peek(1) == '"' && Peek(2) == '"')
        {
            _pos += 3;
            return ParseMultiLineString(start, hashes: -1);
        }

        _pos++;
        int contentStart = _pos;

        // Fast path: no escapes.
        while (!AtEnd)
        {
            char c = Current;
            if (c == '"')
            {
                _pos++;
                return _text.Substring(contentStart, _pos - 1 - contentStart);
            }

            if (c == '\\' || KdlChars.IsNewline(c))
            {
                break;
            }

            CheckLiteralAndAdvance();
        }

        _buffer.Clear();
        _buffer.Append(_text, contentStart, _pos - contentStart);
        while (true)
        {
            if (AtEnd)
            {
                throw ErrorAt(start, "this string is never closed; expected '\"'");
            }

            char c = Current;
            if (c == '"')
            {
                _pos++;
                return _buffer.ToString();
            }

            if (KdlChars.IsNewline(c))
            {
                throw ErrorAt(
                    start,
                    "a single-line string cannot contain a newline; close it with '\"' on the same line, escape the newline with '\\', or use a multi-line \"\"\" string"
                );
            }

            if (c == '\\')
            {
                ReadEscape(_buffer, allowWhitespaceEscape: true);
                continue;
            }

            int from = _pos;
            CheckLiteralAndAdvance();
            _buffer.Append(_text, from, _pos - from);
        }
    }

    private string ParseRawString()
    {
        int start = _pos;
        int hashes = 0;
        while (!AtEnd && Current == '#')
        {
            hashes++;
            _pos++;
        }

        if (AtEnd || Current != '"')
        {
            throw ErrorAt(start, "expected '\"' after '#' to start a raw string");
        }

        if (!IsRawClose(_pos, hashes) && Peek(1) == '"' && Peek(2) == '"')
        {
            _pos += 3;
            return ParseMultiLineString(start, hashes);
        }

        _pos++;
        int contentStart = _pos;
        while (true)
        {
            if (AtEnd)
            {
                throw ErrorAt(start, $"this raw string is never closed; expected '\"' followed by {hashes} '#'");
            }

            char c = Current;
            if (c == '"' && IsRawClose(_pos, hashes))
            {
                string value = _text.Substring(contentStart, _pos - contentStart);
                _pos += 1 + hashes;
                return value;
            }

            if (KdlChars.IsNewline(c))
            {
                throw ErrorAt(
                    start,
                    $"this raw string is not closed on its line; expected '\"' followed by {hashes} '#' (a raw string spanning lines must use #\"\"\")"
                );
            }

            CheckLiteralAndAdvance();
        }
    }

    private bool IsRawClose(int quote, int hashes)
    {
        if (quote + hashes >= _text.Length)
        {
            return false;
        }

        for (int i = 1; i <= hashes; i++)
        {
            if (_text[quote + i] != '#')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads the body after the opening <c>"""</c>. Whitespace escapes are resolved first; then the last line
    /// (which must be only whitespace) gives the indentation removed from every other line; then the remaining
    /// escapes are resolved. <paramref name="hashes"/> is -1 for an escaped string, else the raw string's '#' count.
    /// </summary>
    private string ParseMultiLineString(int start, int hashes)
    {
        bool raw = hashes >= 0;
        if (AtEnd || !TryConsumeNewline())
        {
            throw ErrorAt(
                start,
                "a multi-line string must start with \"\"\" followed by a newline; for one line, use a single '\"'"
            );
        }

        // Body with whitespace escapes removed and newlines normalised to '\n'; lineStarts maps each line to the
        // source.
        var body = new System.Text.StringBuilder();
        var lineStarts = new List<int> { _pos };
        while (true)
        {
            if (AtEnd)
            {
                throw ErrorAt(
                    start,
                    raw
                        ? $"this multi-line raw string is never closed; expected \"\"\" followed by {hashes} '#'"
                        : "this multi-line string is never closed; expected \"\"\""
                );
            }

            char c = Current;
            if (c == '"' && Peek(1) == '"' && Peek(2) == '"' && (!raw || IsRawClose(_pos + 2, hashes)))
            {
                _pos += 3 + Math.Max(hashes, 0);
                break;
            }

            if (TryConsumeNewline())
            {
                body.Append('\n');
                lineStarts.Add(_pos);
                continue;
            }

            if (!raw && c == '\\')
            {
                if (IsWhitespaceEscape())
                {
                    SkipWhitespaceEscape();
                }
                else
                {
                    int from = _pos;
                    ReadEscape(null, allowWhitespaceEscape: false);
                    body.Append(_text, from, _pos - from);
                }

                continue;
            }

            int literal = _pos;
            CheckLiteralAndAdvance();
            body.Append(_text, literal, _pos - literal);
        }

        return Dedent(body.ToString(), lineStarts, raw);
    }

    private string Dedent(string body, List<int> lineStarts, bool raw)
    {
        int lastBreak = body.LastIndexOf('\n');
        string indent = body[(lastBreak + 1)..];
        for (int i = 0; i < indent.Length; i++)
        {
            if (!KdlChars.IsUnicodeSpace(indent[i]))
            {
                throw ErrorAt(
                    lineStarts[^1],
                    "the closing \"\"\" of a multi-line string must be on its own line, after whitespace only"
                );
            }
        }

        if (lastBreak < 0)
        {
            return string.Empty;
        }

        _buffer.Clear();
        int lineIndex = 0;
        int lineStart = 0;
        while (lineStart <= lastBreak)
        {
            int lineEnd = body.IndexOf('\n', lineStart);
            var line = body.AsSpan(lineStart, lineEnd - lineStart);
            if (lineIndex > 0)
            {
                _buffer.Append('\n');
            }

            if (!IsAllWhitespace(line))
            {
                if (!line.StartsWith(indent, StringComparison.Ordinal))
                {
                    throw ErrorAt(
                        lineStarts[Math.Min(lineIndex, lineStarts.Count - 1)],
                        "every line of a multi-line string must start with the same whitespace as its closing \"\"\" line"
                    );
                }

                var content = line[indent.Length..];
                if (raw)
                {
                    _buffer.Append(content);
                }
                else
                {
                    AppendUnescaped(content);
                }
            }

            lineIndex++;
            lineStart = lineEnd + 1;
        }

        return _buffer.ToString();
    }

    private static bool IsAllWhitespace(ReadOnlySpan<char> line)
    {
        foreach (char c in line)
        {
            if (!KdlChars.IsUnicodeSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Resolves escapes in text already validated by <see cref="ReadEscape"/>.</summary>
    private void AppendUnescaped(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\')
            {
                _buffer.Append(c);
                continue;
            }

            char e = text[++i];
            if (e == 'u')
            {
                int close = text[i..].IndexOf('}') + i;
                int cp = int.Parse(text[(i + 2)..close], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                _buffer.Append(char.ConvertFromUtf32(cp));
                i = close;
            }
            else
            {
                _buffer.Append(SimpleEscape(e));
            }
        }
    }

    private bool IsWhitespaceEscape()
    {
        char next = Peek(1);
        return _pos + 1 < _text.Length && (KdlChars.IsUnicodeSpace(next) || KdlChars.IsNewline(next));
    }

    private void SkipWhitespaceEscape()
    {
        _pos++;
        while (!AtEnd && (KdlChars.IsUnicodeSpace(Current) || KdlChars.IsNewline(Current)))
        {
            _pos++;
        }
    }

    /// <summary>
    /// Reads one escape at '\'. Appends the character it stands for when <paramref name="into"/> is given.
    /// </summary>
    private void ReadEscape(System.Text.StringBuilder? into, bool allowWhitespaceEscape)
    {
        int start = _pos;
        if (allowWhitespaceEscape && IsWhitespaceEscape())
        {
            SkipWhitespaceEscape();
            return;
        }

        if (_pos + 1 >= _text.Length)
        {
            throw ErrorAt(start, "the string ends right after '\\'; expected an escape such as \\n or \\\"");
        }

        char e = _text[_pos + 1];
        if (e == 'u')
        {
            _pos += 2;
            if (AtEnd || Current != '{')
            {
                throw ErrorAt(start, "a unicode escape is written \\u{XXXX} with 1 to 6 hex digits");
            }

            _pos++;
            int digitsStart = _pos;
            while (!AtEnd && char.IsAsciiHexDigit(Current) && _pos - digitsStart < 7)
            {
                _pos++;
            }

            int digits = _pos - digitsStart;
            if (digits is 0 or > 6 || AtEnd || Current != '}')
            {
                throw ErrorAt(start, "a unicode escape is written \\u{XXXX} with 1 to 6 hex digits");
            }

            int cp = int.Parse(
                _text.AsSpan(digitsStart, digits),
                NumberStyles.AllowHexSpecifier,
                CultureInfo.InvariantCulture
            );
            if (cp > 0x10FFFF || cp is >= 0xD800 and <= 0xDFFF)
            {
                throw ErrorAt(
                    start,
                    $"\\u{{{cp:X}}} is not a Unicode scalar value (surrogates and values above 10FFFF are not allowed)"
                );
            }

            _pos++;
            into?.Append(char.ConvertFromUtf32(cp));
            return;
        }

        char resolved = SimpleEscape(e);
        if (resolved == '\0')
        {
            throw ErrorAt(
                start,
                $"unknown escape '\\{e}'; valid escapes are \\n \\r \\t \\\\ \\\" \\b \\f \\s \\u{{...}} and '\\' before whitespace"
            );
        }

        _pos += 2;
        into?.Append(resolved);
    }

    private static char SimpleEscape(char e) =>
        e switch
        {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '\\' => '\\',
            '"' => '"',
            'b' => '\b',
            'f' => '\f',
            's' => ' ',
            _ => '\0',
        };
}
