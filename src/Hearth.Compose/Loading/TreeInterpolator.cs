using Hearth.Compose.Interpolation;
using Hearth.Compose.Yaml;

namespace Hearth.Compose.Loading;

/// <summary>Substitutes variables in every scalar value of a tree (keys are left alone, as Compose does).</summary>
public static class TreeInterpolator
{
    public static YNode Apply(YNode node, string path, Func<string, string?> lookup, List<ComposeError> errors) =>
        node switch
        {
            YScalar s => Scalar(s, path, lookup, errors),
            YSequence seq => seq with
            {
                Items = seq.Items.Select((item, i) => Apply(item, KeyPath.Index(path, i), lookup, errors)).ToList(),
            },
            YMapping map => map with
            {
                Entries = map
                    .Entries.Select(e =>
                        e with
                        {
                            Value = Apply(e.Value, KeyPath.Child(path, e.Key.Value), lookup, errors),
                        }
                    )
                    .ToList(),
            },
            _ => node,
        };

    private static YNode Scalar(YScalar scalar, string path, Func<string, string?> lookup, List<ComposeError> errors)
    {
        if (!scalar.Value.Contains('$'))
            return scalar;
        var result = Template.Substitute(scalar.Value, lookup);
        // The result is a string, as in Compose (which interpolates after decoding): "${UNSET}" is "", not null.
        if (result.Ok)
            return result.Value == scalar.Value ? scalar : scalar with { Value = result.Value!, IsPlain = false };
        errors.Add(ComposeError.At(scalar.Mark, path, $"{path}: {result.Error}"));
        return scalar;
    }
}
