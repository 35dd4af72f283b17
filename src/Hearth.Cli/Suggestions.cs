namespace Hearth.Cli;

/// <summary>The known names closest to a mistyped one, by edit distance (as git's "did you mean").</summary>
public static class Suggestions
{
    /// <summary>Names within a third of the word's length (at least 1, at most 3 edits), nearest first.</summary>
    public static IReadOnlyList<string> Nearest(string word, IEnumerable<string> names)
    {
        var bare = word.TrimStart('-');
        if (bare.Length == 0)
            return [];
        var limit = Math.Clamp(bare.Length / 3, 1, 3);
        var scored = names
            .Distinct(StringComparer.Ordinal)
            .Where(n => n.StartsWith('-') == word.StartsWith('-'))
            .Select(n => (Name: n, Distance: Distance(bare, n.TrimStart('-'))))
            .Where(s => s.Distance <= limit)
            .ToList();
        if (scored.Count == 0)
            return [];
        var best = scored.Min(s => s.Distance);
        return scored.Where(s => s.Distance == best).Select(s => s.Name).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Levenshtein distance with adjacent transpositions counted as one edit ("stauts" is one from "status").
    /// </summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
            d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++)
            d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
