using Hearth.Compose.Yaml;

namespace Hearth.Compose.Loading;

/// <summary>
/// Merges an override tree onto a base tree the way Compose merges files and <c>extends</c>: mappings merge key by
/// key, scalars are replaced, lists are appended without duplicates except the ones that are replaced whole
/// (command, entrypoint, healthcheck test…).
/// </summary>
public static class TreeMerger
{
    private static readonly HashSet<string> ReplacedLists = ["command", "entrypoint", "test", "profiles", "cap_add"];

    public static YNode Merge(YNode baseNode, YNode overNode, string key = "")
    {
        if (baseNode is YMapping b && overNode is YMapping o)
            return MergeMaps(b, o);
        if (baseNode is YSequence bs && overNode is YSequence os && !ReplacedLists.Contains(key))
        {
            var items = bs.Items.ToList();
            foreach (var item in os.Items)
                if (!items.Any(existing => SameScalar(existing, item)))
                    items.Add(item);
            return os with { Items = items };
        }
        return overNode;
    }

    private static YMapping MergeMaps(YMapping b, YMapping o)
    {
        var result = b;
        foreach (var entry in o.Entries)
        {
            var existing = b[entry.Key.Value];
            result = result.With(
                entry.Key.Value,
                existing is null ? entry.Value : Merge(existing, entry.Value, entry.Key.Value),
                entry.Key.Mark
            );
        }
        return result;
    }

    private static bool SameScalar(YNode a, YNode b) => a is YScalar sa && b is YScalar sb && sa.Value == sb.Value;
}
