namespace Hearth.Kdl.Parsing;

/// <summary>Whitespace, newlines, comments and line continuations.</summary>
internal sealed partial class KdlParser
{
    /// <summary>
    /// Skips whitespace, block comments and line continuations; returns whether anything was skipped.
    /// </summary>
    private bool SkipNodeSpace()
    {
        int start = _pos;
        while (!AtEnd)
        {
            char c = Current;
            if (KdlChars.IsUnicodeSpace(c))
            {
                _pos++;
            }
            else if (c == '/' && Peek(1) == '*')
            {
                SkipBlockComment();
            }
            else if (c == '\\')
            {
                SkipLineContinuation();
            }
            else
            {
                break;
            }
        }

        return _pos != start;
    }

    /// <summary>Skips everything that may separate nodes: node space, newlines and line comments.</summary>
    private void SkipLineSpace()
    {
        while (!AtEnd)
        {
            if (SkipNodeSpace())
            {
                continue;
            }

            if (AtEnd)
            {
                return;
            }

            if (TryConsumeNewline())
            {
                continue;
            }

            if (Current == '/' && Peek(1) == '/')
            {
                SkipSingleLineComment();
                continue;
            }

            return;
        }
    }

    private bool TryConsumeNewline()
    {
        char c = Current;
        if (!KdlChars.IsNewline(c))
        {
            return false;
        }

        _pos += c == '\r' && Peek(1) == '\n' ? 2 : 1;
        return true;
    }

    /// <summary>'\' then optional whitespace, then a newline, a line comment or the end of input.</summary>
    private void SkipLineContinuation()
    {
        int start = _pos;
        _pos++;
        while (!AtEnd)
        {
            char c = Current;
            if (KdlChars.IsUnicodeSpace(c))
            {
                _pos++;
            }
            else if (c == '/' && Peek(1) == '*')
            {
                SkipBlockComment();
            }
            else
            {
                break;
            }
        }

        if (AtEnd || TryConsumeNewline())
        {
            return;
        }

        if (Current == '/' && Peek(1) == '/')
        {
            SkipSingleLineComment();
            return;
        }

        throw ErrorAt(
            start,
            "a '\\' outside a string must end the line (line continuation); nothing but whitespace or a comment may follow it"
        );
    }

    /// <summary>'//' to the end of the line, including the newline.</summary>
    private void SkipSingleLineComment()
    {
        _pos += 2;
        while (!AtEnd)
        {
            if (TryConsumeNewline())
            {
                return;
            }

            CheckLiteralAndAdvance();
        }
    }

    /// <summary>'/*' to the matching '*/'; block comments nest.</summary>
    private void SkipBlockComment()
    {
        int start = _pos;
        int depth = 0;
        while (!AtEnd)
        {
            char c = Current;
            if (c == '/' && Peek(1) == '*')
            {
                depth++;
                _pos += 2;
            }
            else if (c == '*' && Peek(1) == '/')
            {
                depth--;
                _pos += 2;
                if (depth == 0)
                {
                    return;
                }
            }
            else
            {
                CheckLiteralAndAdvance();
            }
        }

        throw ErrorAt(start, "this block comment is never closed; expected '*/'");
    }

    /// <summary>Moves past one code point, rejecting those the spec forbids anywhere in a document.</summary>
    private void CheckLiteralAndAdvance()
    {
        char c = Current;
        if (c >= ' ' && c < 0x7F)
        {
            _pos++;
            return;
        }

        if (char.IsHighSurrogate(c) && Peek(1) is var low && char.IsLowSurrogate(low))
        {
            _pos += 2;
            return;
        }

        if (KdlChars.IsDisallowedLiteral(c))
        {
            throw Error($"{Describe(c)} is not allowed in a KDL document");
        }

        _pos++;
    }
}
