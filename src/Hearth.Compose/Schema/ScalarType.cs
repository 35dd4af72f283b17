using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>A scalar of one kind; null is accepted where the key may be left empty.</summary>
public sealed class ScalarType(ScalarKind kind, bool nullable = true) : SchemaType
{
    public ScalarKind Kind { get; } = kind;

    public override string Expected =>
        Kind switch
        {
            ScalarKind.String => "string",
            ScalarKind.Integer => "integer",
            ScalarKind.Number => "number",
            ScalarKind.Boolean => "boolean",
            _ => "boolean, null, number or string",
        };

    public override bool Accepts(YNode node) => node is YScalar;

    public override void Validate(YNode node, string path, List<ComposeError> errors)
    {
        if (node is not YScalar scalar)
        {
            Fail(node, path, $"{path} must be {Article(Expected)} {Expected}", errors);
            return;
        }
        if (scalar.IsNull)
        {
            if (!nullable)
                Fail(node, path, $"{path} must be {Article(Expected)} {Expected}, not null", errors);
            return;
        }
        var ok = Kind switch
        {
            ScalarKind.Integer => ScalarParsing.TryInteger(scalar.Value, out _),
            ScalarKind.Number => ScalarParsing.TryNumber(scalar.Value, out _),
            ScalarKind.Boolean => ScalarParsing.TryBoolean(scalar.Value, out _),
            _ => true,
        };
        if (!ok)
            Fail(node, path, $"{path} must be {Article(Expected)} {Expected}", errors);
    }

    internal static string Article(string noun) => "aeiou".Contains(noun[0]) ? "an" : "a";
}
