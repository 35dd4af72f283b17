namespace Hearth.Compose.Model;

/// <summary>An <c>x-hearth</c> placement constraint: an agent label must (or must not) have a value.</summary>
public sealed record PlacementConstraint(string Label, string Value, bool Equal)
{
    public static bool TryParse(string text, out PlacementConstraint constraint)
    {
        constraint = null!;
        var (op, equal) = text.Contains("!=") ? ("!=", false) : ("==", true);
        var at = text.IndexOf(op, StringComparison.Ordinal);
        if (at <= 0)
            return false;
        var label = text[..at].Trim();
        var value = text[(at + 2)..].Trim();
        if (label.Length == 0 || value.Length == 0)
            return false;
        constraint = new PlacementConstraint(label, value, equal);
        return true;
    }

    public bool Matches(IReadOnlyDictionary<string, string> agentLabels) =>
        agentLabels.TryGetValue(Label, out var actual) && actual == Value ? Equal : !Equal;
}
