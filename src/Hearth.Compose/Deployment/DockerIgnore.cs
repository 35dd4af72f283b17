using System.Text;
using System.Text.RegularExpressions;

namespace Hearth.Compose.Deployment;

/// <summary>
/// A context's <c>.dockerignore</c>, as Docker reads it: one pattern a line (<c>#</c> comments), Go's
/// <c>filepath.Match</c> syntax with <c>**</c> for any number of directories, <c>!</c> re-includes, the last matching
/// line wins, and a pattern that matches a directory excludes everything under it.
/// </summary>
public sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules = [];

    public DockerIgnore(string? text)
    {
        foreach (var raw in (text ?? "").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            var exclude = !line.StartsWith('!');
            if (!exclude)
                line = line[1..].Trim();
            line = line.Trim('/');
            if (line.StartsWith("./", StringComparison.Ordinal))
                line = line[2..];
            if (line.Length == 0)
                continue;
            _rules.Add((new Regex("^" + ToRegex(line) + "(/.*)?$", RegexOptions.CultureInvariant), exclude));
        }
    }

    /// <summary>Whether <paramref name="relative"/> (with '/' separators) is left out of the context.</summary>
    public bool Excludes(string relative)
    {
        var excluded = false;
        foreach (var (pattern, exclude) in _rules)
        {
            if (pattern.IsMatch(relative))
                excluded = exclude;
        }
        return excluded;
    }

    private static string ToRegex(string pattern)
    {
        var text = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                // "**/" is any number of directories (none too); "**" alone, anything.
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    text.Append("(.*/)?");
                }
                else
                {
                    text.Append(".*");
                }
            }
            else if (c == '*')
                text.Append("[^/]*");
            else if (c == '?')
                text.Append("[^/]");
            else if (c == '\\' && i + 1 < pattern.Length)
                text.Append(Regex.Escape(pattern[++i].ToString()));
            else if (c == '[')
            {
                var end = pattern.IndexOf(']', i + 1);
                if (end < 0)
                    text.Append("\\[");
                else
                {
                    var set = pattern[(i + 1)..end];
                    text.Append('[')
                        .Append(set.StartsWith('^') ? "^" + set[1..].Replace("\\", "\\\\") : set.Replace("\\", "\\\\"))
                        .Append(']');
                    i = end;
                }
            }
            else
                text.Append(Regex.Escape(c.ToString()));
        }
        return text.ToString();
    }
}
