using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

public sealed class ArrayType(SchemaType items, bool unique = false) : SchemaType
{
    public SchemaType Items { get; } = items;

    public override string Expected => "list";

    public override bool Accepts(YNode node) => node is YSequence;

    public override void Validate(YNode node, string path, List<ComposeError> errors)
    {
        if (node is not YSequence seq)
        {
            Fail(node, path, $"{path} must be a list", errors);
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            Items.Validate(item, KeyPath.Index(path, i), errors);
            if (unique && item is YScalar s && !seen.Add(s.Value))
                Fail(
                    item,
                    KeyPath.Index(path, i),
                    $"{KeyPath.Index(path, i)} duplicates \"{s.Value}\"; items must be unique",
                    errors
                );
        }
    }
}
