using System.Text;

namespace Hearth.Compose.Interpolation;

/// <summary>
/// Compose variable substitution: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-d}</c>, <c>${VAR-d}</c>,
/// <c>${VAR:?e}</c>, <c>${VAR?e}</c>, <c>${VAR:+a}</c>, <c>${VAR+a}</c>, <c>$$</c> for a literal dollar.
/// Defaults, alternatives and error messages are themselves templates and are only evaluated when used.
/// </summary>
public static class Template
{
    private const int MaxNesting = 64;

    public static TemplateResult Substitute(string template, Func<string, string?> lookup) =>
        Substitute(template, lookup, 0);

    private static TemplateResult Substitute(string template, Func<string, string?> lookup, int depth)
    {
        if (depth > MaxNesting)
            return TemplateResult.Failure($"Invalid template: \"{template}\" nests too deeply");
        if (!template.Contains('$'))
            return TemplateResult.Success(template);
        var output = new StringBuilder(template.Length);
        var i = 0;
        while (i < template.Length)
        {
            var c = template[i];
            if (c != '$' || i + 1 >= template.Length)
            {
                output.Append(c);
                i++;
                continue;
            }
            var next = template[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i += 2;
            }
            else if (next == '{')
            {
                var close = FindClosingBrace(template, i + 2);
                if (close < 0)
                    return Invalid(template);
                var result = Braced(template[(i + 2)..close], lookup, depth, template);
                if (!result.Ok)
                    return result;
                output.Append(result.Value);
                i = close + 1;
            }
            else if (IsNameStart(next))
            {
                var end = i + 1;
                while (end < template.Length && IsNameChar(template[end]))
                    end++;
                output.Append(lookup(template[(i + 1)..end]) ?? "");
                i = end;
            }
            else
            {
                output.Append('$');
                i++;
            }
        }
        return TemplateResult.Success(output.ToString());
    }

    private static TemplateResult Braced(string body, Func<string, string?> lookup, int depth, string template)
    {
        var nameEnd = 0;
        while (nameEnd < body.Length && IsNameChar(body[nameEnd]))
            nameEnd++;
        if (nameEnd == 0 || !IsNameStart(body[0]))
            return Invalid(template);
        var name = body[..nameEnd];
        var value = lookup(name);
        if (nameEnd == body.Length)
            return TemplateResult.Success(value ?? "");

        var colon = body[nameEnd] == ':';
        var opAt = colon ? nameEnd + 1 : nameEnd;
        if (opAt >= body.Length)
            return Invalid(template);
        var op = body[opAt];
        var argument = body[(opAt + 1)..];
        var missing = colon ? string.IsNullOrEmpty(value) : value is null;
        switch (op)
        {
            case '-':
                return missing ? Substitute(argument, lookup, depth + 1) : TemplateResult.Success(value!);
            case '+':
                return missing ? TemplateResult.Success("") : Substitute(argument, lookup, depth + 1);
            case '?':
                if (!missing)
                    return TemplateResult.Success(value!);
                var message = Substitute(argument, lookup, depth + 1);
                if (!message.Ok)
                    return message;
                return TemplateResult.Failure(
                    message.Value!.Length == 0
                        ? $"required variable {name} is missing a value"
                        : $"required variable {name} is missing a value: {message.Value}"
                );
            default:
                return Invalid(template);
        }
    }

    /// <summary>
    /// Index of the <c>}</c> closing a <c>${</c> whose body starts at <paramref name="from"/>, or -1.
    /// </summary>
    private static int FindClosingBrace(string text, int from)
    {
        var depth = 1;
        for (var i = from; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                depth++;
                i++;
            }
            else if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '$')
            {
                i++;
            }
            else if (text[i] == '}' && --depth == 0)
            {
                return i;
            }
        }
        return -1;
    }

    private static TemplateResult Invalid(string template) =>
        TemplateResult.Failure($"Invalid template: \"{template}\"");

    private static bool IsNameStart(char c) => c == '_' || char.IsAsciiLetter(c);

    private static bool IsNameChar(char c) => c == '_' || char.IsAsciiLetterOrDigit(c);
}
