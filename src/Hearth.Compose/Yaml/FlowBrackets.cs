namespace Hearth.Compose.Yaml;

/// <summary>
/// Finds a flow collection ('{' or '[') that is opened and never closed, for the error YAML's parser cannot word
/// itself. A bracket opens a collection where YAML allows one: at the start of a line's content, of a value or item,
/// or inside another collection; quoted scalars and comments are skipped.
/// </summary>
public static class FlowBrackets
{
    public readonly record struct Open(char Bracket, int Line, int Column);

    public static Open? FindUnclosed(string text)
    {
        var stack = new Stack<Open>();
        int line = 1,
            column = 0;
        var quote = '\0';
        var previous = '\n';
        var valueStart = true;
        var property = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n')
            {
                (line, column, previous, valueStart, property) = (line + 1, 0, c, quote == '\0', false);
                continue;
            }
            column++;
            if (quote != '\0')
            {
                if (c == quote && !(quote == '"' && previous == '\\'))
                    quote = '\0';
                previous = c;
                continue;
            }
            if (c == '#' && previous is ' ' or '\t' or '\n')
            {
                var end = text.IndexOf('\n', i);
                i = (end < 0 ? text.Length : end) - 1; // the rest of the line is a comment
                continue;
            }
            // An anchor or tag ("&base ", "!!map ") comes before the value it names: the value still starts after it.
            if (property || (valueStart && c is '&' or '!'))
            {
                property = c is not (' ' or '\t');
                previous = c;
                continue;
            }
            var inFlow = stack.Count > 0;
            if (c is '{' or '[' && (inFlow || valueStart))
                stack.Push(new Open(c, line, column));
            else if (c is '}' or ']' && inFlow && stack.Peek().Bracket == (c == '}' ? '{' : '['))
                stack.Pop();
            else if (c is '\'' or '"' && (inFlow || valueStart))
                quote = c;

            // A value starts after "key: ", "- ", "? ", after a flow separator, and in a line's indentation.
            if (c is ' ' or '\t')
                valueStart = valueStart || previous is ':' or '-' or '?';
            else
                valueStart = stack.Count > 0 && c is ',' or '[' or '{';
            previous = c;
        }
        return stack.Count > 0 ? stack.Reverse().First() : null;
    }
}
