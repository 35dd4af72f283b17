namespace Hearth.Workflows.Conditions;

/// <summary>
/// Glob matching for conditions: <c>*</c> matches any run of characters except '/', <c>**</c> matches any run
/// including '/', <c>?</c> matches one character except '/', and '\' makes the next character literal.
/// The whole value must match. Runs in O(pattern × value) time with no recursion.
/// </summary>
public static class GlobPattern
{
    public static bool IsMatch(string pattern, string value)
    {
        // reachable[j]: the pattern prefix consumed so far can match value[..j].
        var reachable = new bool[value.Length + 1];
        reachable[0] = true;
        int p = 0;
        while (p < pattern.Length)
        {
            char c = pattern[p];
            if (c == '*')
            {
                bool crossesSlash = p + 1 < pattern.Length && pattern[p + 1] == '*';
                p += crossesSlash ? 2 : 1;
                for (int j = 1; j <= value.Length; j++)
                {
                    if (!reachable[j] && reachable[j - 1] && (crossesSlash || value[j - 1] != '/'))
                    {
                        reachable[j] = true;
                    }
                }

                continue;
            }

            bool any = c == '?';
            if (c == '\\' && p + 1 < pattern.Length)
            {
                c = pattern[++p];
            }

            for (int j = value.Length; j >= 1; j--)
            {
                reachable[j] = reachable[j - 1] && (any ? value[j - 1] != '/' : value[j - 1] == c);
            }

            reachable[0] = false;
            p++;
        }

        return reachable[value.Length];
    }
}
