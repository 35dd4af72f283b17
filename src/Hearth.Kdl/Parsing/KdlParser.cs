using System.Text;

namespace Hearth.Kdl.Parsing;

/// <summary>
/// Recursive-descent parser over the whole text. Grammar structure lives here; trivia (whitespace and
/// comments), strings and numbers are in the other parts of this partial class.
/// </summary>
internal sealed partial class KdlParser
{
    private readonly KdlSource _source;
    private readonly string _text;
    private readonly KdlReaderOptions _options;
    private readonly StringBuilder _buffer = new();
    private int _pos;
    private int _depth;

    public KdlParser(KdlSource source, KdlReaderOptions options)
    {
        _source = source;
        _text = source.Text;
        _options = options;
    }

    private bool AtEnd => _pos >= _text.Length;

    private char Current => _text[_pos];

    public KdlDocument ParseDocument()
    {
        if (_text.Length > 0 && _text[0] == '\uFEFF')
        {
            _pos = 1;
        }

        var nodes = ParseNodes(blockStart: -1);
        return new KdlDocument(nodes, _source);
    }

    /// <summary>Parses nodes up to the end of input, or up to (not past) the '}' closing a children block.</summary>
    private List<KdlNode> ParseNodes(int blockStart)
    {
        bool inBlock = blockStart >= 0;
        var nodes = new List<KdlNode>();
        while (true)
        {
            SkipLineSpace();
            if (AtEnd)
            {
                if (inBlock)
                {
                    throw ErrorAt(blockStart, "this children block is never closed; expected '}'");
                }

                return nodes;
            }

            if (Current == '}')
            {
                if (inBlock)
                {
                    return nodes;
                }

                throw Error("unexpected '}' with no open children block");
            }

            if (IsSlashdash())
            {
                _pos += 2;
                SkipLineSpace();
                if (AtEnd || Current == '}')
                {
                    throw Error("expected a node after '/-'");
                }

                ParseNode(inBlock);
                continue;
            }

            nodes.Add(ParseNode(inBlock));
        }
    }

    private KdlNode ParseNode(bool inBlock)
    {
        int start = _pos;
        string? type = null;
        if (Current == '(')
        {
            type = ParseTypeAnnotation();
            SkipNodeSpace();
        }

        if (AtEnd || !IsValueStart(Current))
        {
            throw Error(type is null ? "expected a node name" : "expected a node name after the type annotation");
        }

        int nameStart = _pos;
        string name = ParseValueToken(null) is KdlString s
            ? s.Value
            : throw ErrorAt(
                nameStart,
                "a node name must be a string or identifier; quote it to use a number or keyword as a name"
            );

        List<KdlValue>? arguments = null;
        List<KdlProperty>? properties = null;
        List<KdlNode>? children = null;
        bool anyChildrenBlock = false;

        while (true)
        {
            bool spaced = SkipNodeSpace();
            if (AtEnd)
            {
                break;
            }

            char c = Current;
            if (TryConsumeNewline())
            {
                break;
            }

            if (c == ';')
            {
                _pos++;
                break;
            }

            if (c == '}')
            {
                if (!inBlock)
                {
                    throw Error("unexpected '}' with no open children block");
                }

                break;
            }

            if (c == '/' && Peek(1) == '/')
            {
                SkipSingleLineComment();
                break;
            }

            if (IsSlashdash())
            {
                _pos += 2;
                SkipLineSpace();
                if (AtEnd || Current is ';' or '}')
                {
                    throw Error("expected an argument, property or children block after '/-'");
                }

                if (Current == '{')
                {
                    ParseChildren();
                    anyChildrenBlock = true;
                    continue;
                }

                if (anyChildrenBlock)
                {
                    throw Error("arguments and properties must come before the children block");
                }

                ParseEntry(null, null);
                continue;
            }

            if (c == '{')
            {
                if (children is not null)
                {
                    throw Error("a node can have only one children block");
                }

                children = ParseChildren();
                anyChildrenBlock = true;
                continue;
            }

            if (anyChildrenBlock)
            {
                throw Error("expected ';' or a newline after the children block");
            }

            if (KdlChars.IsDisallowedLiteral(c) && !(char.IsHighSurrogate(c) && char.IsLowSurrogate(Peek(1))))
            {
                throw Error($"{Describe(c)} is not allowed in a KDL document");
            }

            if (!IsValueStart(c) && c != '(')
            {
                throw Error($"unexpected {Describe(c)}; expected an argument, property, children block or end of node");
            }

            if (!spaced)
            {
                throw Error("expected whitespace before this argument or property");
            }

            ParseEntry(arguments ??= [], properties ??= []);
        }

        return new KdlNode(
            name,
            type,
            (IReadOnlyList<KdlValue>?)arguments ?? [],
            (IReadOnlyList<KdlProperty>?)properties ?? [],
            (IReadOnlyList<KdlNode>?)children ?? [],
            _source,
            start
        );
    }

    private List<KdlNode> ParseChildren()
    {
        int open = _pos;
        if (++_depth > _options.MaxDepth)
        {
            throw Error($"children blocks are nested more than {_options.MaxDepth} deep");
        }

        _pos++;
        var nodes = ParseNodes(open);
        _pos++; // the closing '}'
        _depth--;
        return nodes;
    }

    /// <summary>
    /// Parses an argument or property; with null lists the entry is parsed and discarded (slashdash).
    /// </summary>
    private void ParseEntry(List<KdlValue>? arguments, List<KdlProperty>? properties)
    {
        int start = _pos;
        string? type = null;
        if (Current == '(')
        {
            type = ParseTypeAnnotation();
            SkipNodeSpace();
            if (AtEnd || !IsValueStart(Current))
            {
                throw Error("expected a value after the type annotation");
            }
        }

        var value = ParseValueToken(type, start);
        if (value is KdlString key)
        {
            int afterKey = _pos;
            SkipNodeSpace();
            if (!AtEnd && Current == '=')
            {
                if (type is not null)
                {
                    throw ErrorAt(start, "a property key cannot have a type annotation; put it on the value instead");
                }

                _pos++;
                SkipNodeSpace();
                var propertyValue = ParseAnnotatedValue("expected a value after '='");
                properties?.Add(new KdlProperty(key.Value, propertyValue, start));
                return;
            }

            _pos = afterKey;
        }

        arguments?.Add(value);
    }

    private KdlValue ParseAnnotatedValue(string expected)
    {
        int start = _pos;
        string? type = null;
        if (!AtEnd && Current == '(')
        {
            type = ParseTypeAnnotation();
            SkipNodeSpace();
        }

        if (AtEnd || !IsValueStart(Current))
        {
            throw Error(type is null ? expected : "expected a value after the type annotation");
        }

        return ParseValueToken(type, start);
    }

    private string ParseTypeAnnotation()
    {
        int open = _pos;
        _pos++;
        SkipNodeSpace();
        if (AtEnd || !IsValueStart(Current))
        {
            throw Error("expected a type name inside '( )'");
        }

        int nameStart = _pos;
        if (ParseValueToken(null) is not KdlString name)
        {
            throw ErrorAt(nameStart, "a type annotation must be a string or identifier");
        }

        SkipNodeSpace();
        if (AtEnd || Current != ')')
        {
            throw AtEnd
                ? ErrorAt(open, "this type annotation is never closed; expected ')'")
                : Error("expected ')' to close the type annotation");
        }

        _pos++;
        return name.Value;
    }

    /// <summary>A string (bare, quoted or raw), a number or a #keyword.</summary>
    private KdlValue ParseValueToken(string? type, int start = -1)
    {
        if (start < 0)
        {
            start = _pos;
        }

        char c = Current;
        if (c == '"')
        {
            return new KdlString(ParseQuotedString(), type, _source, start);
        }

        if (c == '#')
        {
            char next = Peek(1);
            if (next is '"' or '#')
            {
                return new KdlString(ParseRawString(), type, _source, start);
            }

            return ParseKeyword(type, start);
        }

        int tokenStart = _pos;
        int end = ScanIdentifierRun(_pos);
        if (end == tokenStart)
        {
            throw Error($"unexpected {Describe(c)}; expected a value");
        }

        var token = _text.AsSpan(tokenStart, end - tokenStart);
        if (KdlChars.LooksNumeric(token))
        {
            var number = ParseNumber(token, tokenStart, type, start);
            _pos = end;
            return number;
        }

        if (KdlChars.IsReservedIdentifier(token))
        {
            throw ErrorAt(
                tokenStart,
                $"'{token}' is reserved; write #{token} for the keyword value, or quote it (\"{token}\") for a string"
            );
        }

        _pos = end;
        return new KdlString(token.ToString(), type, _source, start);
    }

    private KdlValue ParseKeyword(string? type, int start)
    {
        int keywordStart = _pos;
        int end = ScanIdentifierRun(_pos + 1);
        var word = _text.AsSpan(_pos + 1, end - _pos - 1);
        KdlValue value = word switch
        {
            "true" => new KdlBoolean(true, type, _source, start),
            "false" => new KdlBoolean(false, type, _source, start),
            "null" => new KdlNull(type, _source, start),
            "inf" => new KdlNumber(KdlNumberKind.PositiveInfinity, "#inf", type, _source, start),
            "-inf" => new KdlNumber(KdlNumberKind.NegativeInfinity, "#-inf", type, _source, start),
            "nan" => new KdlNumber(KdlNumberKind.NaN, "#nan", type, _source, start),
            _ => throw ErrorAt(
                keywordStart,
                "unknown keyword; expected #true, #false, #null, #inf, #-inf, #nan or a raw string #\"...\"#"
            ),
        };
        _pos = end;
        return value;
    }

    /// <summary>Returns the end of the run of identifier characters starting at <paramref name="i"/>.</summary>
    private int ScanIdentifierRun(int i)
    {
        while (i < _text.Length)
        {
            char c = _text[i];
            if (c < 0x80)
            {
                if (!KdlChars.IsIdentifierChar(c))
                {
                    break;
                }

                i++;
                continue;
            }

            int cp = c;
            int width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < _text.Length && char.IsLowSurrogate(_text[i + 1]))
            {
                cp = char.ConvertToUtf32(c, _text[i + 1]);
                width = 2;
            }
            else if (KdlChars.IsDisallowedLiteral(cp))
            {
                throw ErrorAt(i, $"{Describe(c)} is not allowed in a KDL document");
            }

            if (!KdlChars.IsIdentifierChar(cp))
            {
                break;
            }

            i += width;
        }

        return i;
    }

    private static bool IsValueStart(char c) =>
        c is '"' or '#'
        || (c >= 0x80 ? !KdlChars.IsUnicodeSpace(c) && !KdlChars.IsNewline(c) : KdlChars.IsIdentifierChar(c));

    private bool IsSlashdash() => Current == '/' && Peek(1) == '-';

    private char Peek(int ahead)
    {
        int i = _pos + ahead;
        return i < _text.Length ? _text[i] : '\0';
    }

    private KdlParseException Error(string reason) => ErrorAt(_pos, reason);

    private KdlParseException ErrorAt(int offset, string reason) =>
        new(_source.Name, _source.GetLocation(offset), reason);

    private static string Describe(char c) =>
        c switch
        {
            < ' ' or '\u007F' => $"control character U+{(int)c:X4}",
            _ when char.IsSurrogate(c) => $"unpaired surrogate U+{(int)c:X4}",
            _ when c > 0x7F
                    && (KdlChars.IsDisallowedLiteral(c) || KdlChars.IsNewline(c) || KdlChars.IsUnicodeSpace(c)) =>
                $"character U+{(int)c:X4}",
            _ => $"'{c}'",
        };
}
