using System.Text;

namespace Hearth.Compose.Interpolation;

/// <summary>
/// Parses the <c>.env</c> format Compose reads: <c>KEY=value</c>, optional <c>export</c>, <c>#</c> comments,
/// single quotes (literal), double quotes (escapes, may span lines), unquoted values with inline
/// <c> #</c> comments; double-quoted and unquoted values are interpolated. A bare <c>KEY</c> takes its value from
/// <paramref name="lookup"/> and is dropped when that has none.
/// </summary>
public static class DotEnv
{
    public sealed record Result(IReadOnlyList<KeyValuePair<string, string>> Variables, int ErrorLine, string? Error);

    public static Result Parse(string text, Func<string, string?> lookup)
    {
        var vars = new List<KeyValuePair<string, string>>();
        var local = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Resolve(string name) => local.TryGetValue(name, out var v) ? v : lookup(name);

        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var lineNumber = n + 1;
            var line = lines[n].TrimStart();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line.StartsWith("export ", StringComparison.Ordinal))
                line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            var key = (eq < 0 ? line : line[..eq]).Trim();
            if (key.Length == 0 || !key.All(IsKeyChar))
                return new Result(vars, lineNumber, $"unexpected character in variable name \"{key}\"");
            if (eq < 0)
            {
                var inherited = lookup(key);
                if (inherited is not null)
                    Add(key, inherited);
                continue;
            }
            var rest = line[(eq + 1)..].TrimStart(' ', '\t');
            string value;
            if (rest.StartsWith('\'') || rest.StartsWith('"'))
            {
                var quote = rest[0];
                var body = new StringBuilder();
                var closed = ReadQuoted(rest[1..], quote, body);
                while (!closed && ++n < lines.Length)
                {
                    body.Append('\n');
                    closed = ReadQuoted(lines[n], quote, body);
                }
                if (!closed)
                    return new Result(vars, lineNumber, $"unterminated quoted value for \"{key}\"");
                value = body.ToString();
                if (quote == '"')
                {
                    var substituted = Template.Substitute(value, Resolve);
                    if (!substituted.Ok)
                        return new Result(vars, lineNumber, substituted.Error);
                    value = substituted.Value!;
                }
            }
            else
            {
                var comment = FindInlineComment(rest);
                var raw = (comment < 0 ? rest : rest[..comment]).Trim();
                var substituted = Template.Substitute(raw, Resolve);
                if (!substituted.Ok)
                    return new Result(vars, lineNumber, substituted.Error);
                value = substituted.Value!;
            }
            Add(key, value);
        }
        return new Result(vars, 0, null);

        void Add(string key, string value)
        {
            local[key] = value;
            vars.RemoveAll(kv => kv.Key == key);
            vars.Add(new(key, value));
        }
    }

    /// <summary>Appends the quoted text up to the closing quote; false if the line ends first.</summary>
    private static bool ReadQuoted(string text, char quote, StringBuilder body)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == quote)
                return true;
            if (quote == '"' && c == '\\' && i + 1 < text.Length)
            {
                var e = text[++i];
                body.Append(
                    e switch
                    {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        _ => e,
                    }
                );
                if (e == '$')
                    body.Insert(body.Length - 1, '$'); // keep "\$" literal through interpolation
                continue;
            }
            body.Append(c);
        }
        return false;
    }

    private static int FindInlineComment(string value)
    {
        for (var i = 1; i < value.Length; i++)
            if (value[i] == '#' && char.IsWhiteSpace(value[i - 1]))
                return i;
        return -1;
    }

    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-';
}
