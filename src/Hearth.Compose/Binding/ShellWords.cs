using System.Text;

namespace Hearth.Compose.Binding;

/// <summary>Splits a command string into words the way a POSIX shell would (quotes and backslashes).</summary>
public static class ShellWords
{
    public static IReadOnlyList<string> Split(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < command.Length; i++)
        {
            var c = command[i];
            if (quote is not null)
            {
                if (c == quote)
                    quote = null;
                else if (c == '\\' && quote == '"' && i + 1 < command.Length && command[i + 1] is '"' or '\\' or '$')
                    word.Append(command[++i]);
                else
                    word.Append(c);
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            if (c is '"' or '\'')
                quote = c;
            else if (c == '\\' && i + 1 < command.Length)
                word.Append(command[++i]);
            else
                word.Append(c);
        }
        if (inWord)
            words.Add(word.ToString());
        return words;
    }
}
