using Hearth.Compose.Yaml;

namespace Hearth.Compose.Loading;

/// <summary>
/// Resolves <c>extends</c> in the same file or another one, recursively, refusing cycles and unknown services.
/// The extending service's keys are merged over the base service's.
/// </summary>
public sealed class ExtendsResolver(FileTreeLoader files, Func<string, string?> lookup, List<ComposeError> errors)
{
    public YMapping ResolveAll(YMapping services, string file)
    {
        var result = services;
        foreach (var entry in services.Entries)
            result = result.With(entry.Key.Value, Resolve(entry.Key.Value, services, file, []));
        return result;
    }

    private YNode Resolve(string name, YMapping services, string file, List<string> chain)
    {
        var node = services[name];
        if (node is not YMapping service || service["extends"] is not { } extends)
            return node ?? new YScalar(services.Mark, "", true);
        var path = KeyPath.Child(KeyPath.Child("services", name), "extends");
        var (baseName, baseFile) = extends switch
        {
            YScalar s => (s.Value, (YScalar?)null),
            YMapping m => ((m["service"] as YScalar)?.Value ?? "", m["file"] as YScalar),
            _ => ("", null),
        };
        var rest = service.Without("extends");
        var targetFile = file;
        var targetServices = services;
        if (baseFile is not null)
        {
            targetFile = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(baseFile.Mark.File)!, baseFile.Value));
            var tree = files.Load(targetFile, lookup, [], baseFile.Mark, KeyPath.Child(path, "file"));
            if (tree is null)
                return rest;
            targetServices = tree["services"] as YMapping ?? new YMapping(tree.Mark, []);
        }
        var key = $"{targetFile}#{baseName}";
        if (chain.Contains(key))
        {
            errors.Add(
                ComposeError.At(
                    extends.Mark,
                    path,
                    $"extends cycle detected: {string.Join(" -> ", chain.Append(key).Select(k => k[(k.IndexOf('#') + 1)..]))}"
                )
            );
            return rest;
        }
        if (targetServices[baseName] is null)
        {
            errors.Add(
                ComposeError.At(
                    extends.Mark,
                    path,
                    $"cannot extend service \"{name}\": service \"{baseName}\" not found in {Path.GetFileName(targetFile)}"
                )
            );
            return rest;
        }
        var baseService = Resolve(baseName, targetServices, targetFile, [.. chain, key]);
        return baseService is YMapping baseMap ? TreeMerger.Merge(baseMap, rest) : rest;
    }
}
