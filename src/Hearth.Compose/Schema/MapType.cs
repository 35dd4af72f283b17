using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>A mapping with free-form keys whose values all share one type (labels, sysctls, services…).</summary>
public sealed class MapType(SchemaType values, bool nullValues = false) : SchemaType
{
    public SchemaType Values { get; } = values;

    public override string Expected => "mapping";

    public override bool Accepts(YNode node) => node is YMapping;

    public override void Validate(YNode node, string path, List<ComposeError> errors)
    {
        if (node is not YMapping map)
        {
            Fail(node, path, $"{path} must be a mapping", errors);
            return;
        }
        foreach (var entry in map.Entries)
        {
            if (nullValues && entry.Value is YScalar { IsNull: true })
                continue;
            Values.Validate(entry.Value, KeyPath.Child(path, entry.Key.Value), errors);
        }
    }
}
