using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>One of several shapes (string or list, list or mapping, …), picked by the node's shape.</summary>
public sealed class ChoiceType(params SchemaType[] options) : SchemaType
{
    public override string Expected => string.Join(" or ", options.Select(o => o.Expected).Distinct());

    public override bool Accepts(YNode node) => options.Any(o => o.Accepts(node));

    public override void Validate(YNode node, string path, List<ComposeError> errors)
    {
        List<ComposeError>? firstFailure = null;
        foreach (var option in options.Where(o => o.Accepts(node)))
        {
            var attempt = new List<ComposeError>();
            option.Validate(node, path, attempt);
            if (attempt.Count == 0)
                return;
            firstFailure ??= attempt;
        }
        if (firstFailure is null)
            Fail(node, path, $"{path} must be {ScalarType.Article(Expected)} {Expected}", errors);
        else
            errors.AddRange(firstFailure);
    }
}
