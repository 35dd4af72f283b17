using System.Text;

namespace Hearth.Workflows.Conditions;

/// <summary>
/// Recursive descent over the grammar
/// <code>
/// or      := and ('||' and)*
/// and     := unary ('&amp;&amp;' unary)*
/// unary   := '!' unary | '(' or ')' | operand (('==' | '!=' | '=~' | '!~') operand)?
/// operand := '$' NAME | 'single-quoted' | "double-quoted"
/// </code>
/// </summary>
internal sealed class ConditionParser
{
    private const int MaxDepth = 64;
    private readonly string _text;
    private readonly IReadOnlySet<string>? _extraVariables;
    private int _pos;
    private int _depth;

    public ConditionParser(string text, IReadOnlySet<string>? extraVariables)
    {
        _text = text;
        _extraVariables = extraVariables;
    }

    public ConditionExpression Parse()
    {
        SkipSpaces();
        if (_pos >= _text.Length)
        {
            throw new ConditionSyntaxException(0, "the condition is empty");
        }

        var expression = ParseOr();
        SkipSpaces();
        if (_pos < _text.Length)
        {
            throw new ConditionSyntaxException(
                _pos,
                $"unexpected '{_text[_pos]}'; expected '&&', '||', ')' or the end of the condition"
            );
        }

        return expression;
    }

    private ConditionExpression ParseOr()
    {
        var left = ParseAnd();
        while (TryConsume("||"))
        {
            left = new OrExpression(left, ParseAnd());
        }

        return left;
    }

    private ConditionExpression ParseAnd()
    {
        var left = ParseUnary();
        while (TryConsume("&&"))
        {
            left = new AndExpression(left, ParseUnary());
        }

        return left;
    }

    private ConditionExpression ParseUnary()
    {
        SkipSpaces();
        if (++_depth > MaxDepth)
        {
            throw new ConditionSyntaxException(_pos, $"the condition is nested more than {MaxDepth} deep");
        }

        try
        {
            if (_pos < _text.Length && _text[_pos] == '!' && !At("!=") && !At("!~"))
            {
                _pos++;
                return new NotExpression(ParseUnary());
            }

            if (_pos < _text.Length && _text[_pos] == '(')
            {
                int open = _pos++;
                var inner = ParseOr();
                SkipSpaces();
                if (_pos >= _text.Length || _text[_pos] != ')')
                {
                    throw new ConditionSyntaxException(
                        _pos >= _text.Length ? open : _pos,
                        _pos >= _text.Length ? "'(' is never closed" : $"expected ')' but found '{_text[_pos]}'"
                    );
                }

                _pos++;
                return inner;
            }

            var left = ParseOperand();
            SkipSpaces();
            ComparisonOperator? op =
                At("==") ? ComparisonOperator.Equal
                : At("!=") ? ComparisonOperator.NotEqual
                : At("=~") ? ComparisonOperator.Matches
                : At("!~") ? ComparisonOperator.NotMatches
                : null;
            if (op is null)
            {
                if (_pos < _text.Length && _text[_pos] == '=')
                {
                    throw new ConditionSyntaxException(
                        _pos,
                        "'=' is not an operator; use '==' to compare or '=~' to match a glob"
                    );
                }

                return new TruthExpression(left);
            }

            _pos += 2;
            return new ComparisonExpression(left, op.Value, ParseOperand());
        }
        finally
        {
            _depth--;
        }
    }

    private ConditionOperand ParseOperand()
    {
        SkipSpaces();
        if (_pos >= _text.Length)
        {
            throw new ConditionSyntaxException(
                _pos,
                "the condition ends too early; expected a $VARIABLE or a quoted string"
            );
        }

        char c = _text[_pos];
        if (c == '$')
        {
            int start = _pos++;
            bool braced = _pos < _text.Length && _text[_pos] == '{';
            if (braced)
            {
                _pos++;
            }

            int nameStart = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            string name = _text[nameStart.._pos];
            if (name.Length == 0)
            {
                throw new ConditionSyntaxException(start, "expected a variable name after '$'");
            }

            if (braced)
            {
                if (_pos >= _text.Length || _text[_pos] != '}')
                {
                    throw new ConditionSyntaxException(start, "'${' is never closed; expected '}'");
                }

                _pos++;
            }

            if (!ConditionVariables.Known.Contains(name) && _extraVariables?.Contains(name) != true)
            {
                throw new ConditionSyntaxException(
                    start,
                    $"unknown variable ${name}; known variables are {string.Join(", ", ConditionVariables.Known.Select(v => "$" + v))}"
                );
            }

            return new VariableOperand(name);
        }

        if (c is '\'' or '"')
        {
            return new LiteralOperand(ParseQuoted(c));
        }

        if (char.IsAsciiLetterOrDigit(c))
        {
            int start = _pos;
            while (
                _pos < _text.Length
                && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-' or '.' or '/')
            )
            {
                _pos++;
            }

            throw new ConditionSyntaxException(
                start,
                $"'{_text[start.._pos]}' must be quoted ('{_text[start.._pos]}') or be a $VARIABLE"
            );
        }

        throw new ConditionSyntaxException(_pos, $"unexpected '{c}'; expected a $VARIABLE or a quoted string");
    }

    private string ParseQuoted(char quote)
    {
        int start = _pos++;
        var sb = new StringBuilder();
        while (_pos < _text.Length)
        {
            char c = _text[_pos++];
            if (c == quote)
            {
                return sb.ToString();
            }

            // Only quotes and backslashes are escaped; any other backslash stays, so glob escapes like \* survive.
            if (c == '\\' && _pos < _text.Length && (_text[_pos] == quote || _text[_pos] == '\\'))
            {
                c = _text[_pos++];
            }

            sb.Append(c);
        }

        throw new ConditionSyntaxException(start, $"this string is never closed; expected {quote}");
    }

    private bool TryConsume(string token)
    {
        SkipSpaces();
        if (!At(token))
        {
            if (_pos < _text.Length && (_text[_pos] == '&' || _text[_pos] == '|') && !At("&&") && !At("||"))
            {
                throw new ConditionSyntaxException(_pos, $"'{_text[_pos]}' is not an operator; use '&&' or '||'");
            }

            return false;
        }

        _pos += token.Length;
        return true;
    }

    private bool At(string token) => string.CompareOrdinal(_text, _pos, token, 0, token.Length) == 0;

    private void SkipSpaces()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }
    }
}
