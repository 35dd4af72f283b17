using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>A non-null scalar whose text must pass <paramref name="check"/> (durations, byte sizes…).</summary>
public sealed class CheckedScalarType(string expected, Func<string, bool> check, string? hint = null) : SchemaType
{
    public override string Expected => expected;

    public override bool Accepts(YNode node) => node is YScalar;

    public override void Validate(YNode node, string path, List<ComposeError> errors)
    {
        if (node is YScalar { IsNull: true })
            return;
        if (node is not YScalar scalar || !check(scalar.Value))
            Fail(
                node,
                path,
                $"{path} must be {ScalarType.Article(Expected)} {Expected}{(hint is null ? "" : $" ({hint})")}",
                errors
            );
    }
}
