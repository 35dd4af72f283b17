namespace Hearth.Core.Labels;

/// <summary>Matching of a task's requirements against an agent's labels. Pure, used by every store's claim.</summary>
public static class LabelMatch
{
    public static bool Satisfies(
        IReadOnlyDictionary<string, string> agentLabels,
        IReadOnlyDictionary<string, string> requirements
    )
    {
        foreach (var (key, value) in requirements)
        {
            if (!agentLabels.TryGetValue(key, out var have) || !string.Equals(have, value, StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    /// <summary>Parses "k=v,k2=v2" as given on a command line.</summary>
    public static Dictionary<string, string> Parse(string? text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(text))
            return labels;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
                throw new FormatException($"label '{part}' is not of the form key=value");
            labels[part[..eq]] = part[(eq + 1)..];
        }
        return labels;
    }
}
