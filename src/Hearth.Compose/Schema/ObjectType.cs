using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>
/// A mapping with known keys. Unknown keys are refused unless they start with <c>x-</c>;
/// <paramref name="required"/> keys must be present. A null value is accepted when <paramref name="nullable"/>.
/// </summary>
public sealed class ObjectType(
    IReadOnlyDictionary<string, SchemaType> properties,
    string[]? required = null,
    bool nullable = false
) : SchemaType
{
    public IReadOnlyDictionary<string, SchemaType> Properties { get; } = properties;

    public override string Expected => "mapping";

    public override bool Accepts(YNode node) => node is YMapping || (nullable && node is YScalar { IsNull: true });

    public override void Validate(YNode node, string path, List<ComposeError> errors)
    {
        if (nullable && node is YScalar { IsNull: true })
            return;
        if (node is not YMapping map)
        {
            Fail(node, path, $"{path} must be a mapping", errors);
            return;
        }
        foreach (var entry in map.Entries)
        {
            var key = entry.Key.Value;
            if (key.StartsWith("x-", StringComparison.Ordinal))
                continue;
            if (!Properties.TryGetValue(key, out var type))
            {
                var where = path.Length == 0 ? "" : path + " ";
                Fail(entry.Key, path, $"{where}additional properties '{key}' not allowed", errors);
                continue;
            }
            type.Validate(entry.Value, KeyPath.Child(path, key), errors);
        }
        foreach (var key in required ?? [])
            if (map[key] is null)
                Fail(node, path, $"{path} missing property '{key}'", errors);
    }
}
