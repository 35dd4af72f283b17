using Hearth.Compose.Schema;
using Hearth.Compose.Yaml;

namespace Hearth.Compose.Loading;

/// <summary>
/// Turns one compose file into a checked tree: parse, refuse empty files, interpolate, validate against the
/// schema, pull in <c>include</c>d files (refusing cycles), and rewrite short list forms into mappings.
/// </summary>
public sealed class FileTreeLoader(IComposeFileSystem fileSystem, List<ComposeError> errors)
{
    private readonly Dictionary<string, YMapping?> _parsed = new(StringComparer.Ordinal);

    /// <summary>Parses a file once; null when it is missing, unreadable YAML, empty or not a mapping.</summary>
    public YMapping? Parse(string path, SourceMark? referencedFrom, string referencePath = "")
    {
        if (_parsed.TryGetValue(path, out var cached))
            return cached;
        var text = fileSystem.ReadAllText(path);
        YMapping? result = null;
        if (text is null)
        {
            errors.Add(
                referencedFrom is { } mark
                    ? ComposeError.At(mark, referencePath, $"file not found: {path}")
                    : new ComposeError(path, 0, 0, "", "no such file")
            );
        }
        else
        {
            var (root, error) = YamlTreeReader.Read(path, text);
            if (error is not null)
                errors.Add(error);
            else if (root is null || root is YScalar { IsNull: true } || root is YMapping { Entries.Count: 0 })
                errors.Add(new ComposeError(path, 1, 1, "", "empty compose file"));
            else if (root is not YMapping map)
                errors.Add(ComposeError.At(root.Mark, "", "Top-level object must be a mapping"));
            else
                result = map;
        }
        _parsed[path] = result;
        return result;
    }

    /// <summary>The interpolated, validated tree of a file with its includes merged in; null if refused.</summary>
    public YMapping? Load(
        string path,
        Func<string, string?> lookup,
        IReadOnlyList<string> includeChain,
        SourceMark? referencedFrom = null,
        string referencePath = ""
    )
    {
        var raw = Parse(path, referencedFrom, referencePath);
        if (raw is null)
            return null;
        var before = errors.Count;
        var tree = (YMapping)TreeInterpolator.Apply(raw, "", lookup, errors);
        ComposeSchema.File.Validate(tree, "", errors);
        if (errors.Count > before)
            return null;

        if (tree["include"] is YSequence includes)
            tree = MergeIncludes(tree.Without("include"), includes, path, lookup, includeChain);
        if (tree["services"] is YMapping services)
            tree = tree.With(
                "services",
                services with
                {
                    Entries = services
                        .Entries.Select(e => e with { Value = ShortSyntax.NormalizeService(e.Value) })
                        .ToList(),
                }
            );
        return tree;
    }

    private YMapping MergeIncludes(
        YMapping tree,
        YSequence includes,
        string path,
        Func<string, string?> lookup,
        IReadOnlyList<string> chain
    )
    {
        var chainHere = chain.Append(path).ToList();
        var directory = Path.GetDirectoryName(path)!;
        for (var i = 0; i < includes.Items.Count; i++)
        {
            var item = includes.Items[i];
            var itemPath = KeyPath.Index("include", i);
            foreach (var target in IncludedFiles(item))
            {
                var full = Path.GetFullPath(Path.Combine(directory, target.Value));
                if (chainHere.Contains(full))
                {
                    var cycle = string.Join(" -> ", chainHere.Append(full).Select(Path.GetFileName));
                    errors.Add(ComposeError.At(target.Mark, itemPath, $"include cycle detected: {cycle}"));
                    continue;
                }
                var included = Load(full, lookup, chainHere, target.Mark, itemPath);
                if (included is not null)
                    tree = AddMissingResources(tree, included);
            }
        }
        return tree;
    }

    private static IEnumerable<YScalar> IncludedFiles(YNode item) =>
        item switch
        {
            YScalar s => [s],
            YMapping m when m["path"] is YScalar p => [p],
            YMapping m when m["path"] is YSequence ps => ps.Items.OfType<YScalar>(),
            _ => [],
        };

    // The including file's own definitions win over included ones.
    private static YMapping AddMissingResources(YMapping tree, YMapping included)
    {
        foreach (var section in new[] { "services", "networks", "volumes", "secrets", "configs", "models" })
        {
            if (included[section] is not YMapping add)
                continue;
            var own = tree[section] as YMapping ?? new YMapping(add.Mark, []);
            foreach (var entry in add.Entries)
                if (own[entry.Key.Value] is null)
                    own = own.With(entry.Key.Value, entry.Value, entry.Key.Mark);
            tree = tree.With(section, own);
        }
        return tree;
    }
}
