using Hearth.Compose.Yaml;

namespace Hearth.Compose.Loading;

/// <summary>
/// Rewrites the list forms that have a mapping equivalent (<c>environment: [A=1]</c>, <c>depends_on: [db]</c>,
/// <c>networks: [front]</c>…) into mappings, so that files and <c>extends</c> merge key by key.
/// </summary>
public static class ShortSyntax
{
    private static readonly string[] KeyValueLists = ["environment", "labels", "annotations", "sysctls"];

    public static YNode NormalizeService(YNode service)
    {
        if (service is not YMapping map)
            return service;
        foreach (var key in KeyValueLists)
            if (map[key] is YSequence seq)
                map = map.With(key, KeyValueListToMap(seq, '='));
        if (map["depends_on"] is YSequence deps)
            map = map.With(
                "depends_on",
                new YMapping(
                    deps.Mark,
                    deps.Items.OfType<YScalar>()
                        .Select(d => new YEntry(
                            d,
                            new YMapping(d.Mark, [Entry(d.Mark, "condition", "service_started")])
                        ))
                        .ToList()
                )
            );
        if (map["networks"] is YSequence nets)
            map = map.With(
                "networks",
                new YMapping(
                    nets.Mark,
                    nets.Items.OfType<YScalar>().Select(n => new YEntry(n, new YScalar(n.Mark, "", true))).ToList()
                )
            );
        if (map["build"] is YMapping build)
        {
            foreach (var key in new[] { "args", "labels" })
                if (build[key] is YSequence seq)
                    build = build.With(key, KeyValueListToMap(seq, '='));
            map = map.With("build", build);
        }
        if (map["deploy"] is YMapping deploy && deploy["labels"] is YSequence deployLabels)
            map = map.With("deploy", deploy.With("labels", KeyValueListToMap(deployLabels, '=')));
        return map;
    }

    /// <summary><c>[A=1, B]</c> becomes <c>{A: "1", B: null}</c>.</summary>
    public static YMapping KeyValueListToMap(YSequence seq, char separator)
    {
        var entries = new List<YEntry>();
        foreach (var item in seq.Items.OfType<YScalar>())
        {
            var at = item.Value.IndexOf(separator);
            var key = at < 0 ? item.Value : item.Value[..at];
            YScalar value =
                at < 0 ? new YScalar(item.Mark, "", true) : new YScalar(item.Mark, item.Value[(at + 1)..], false);
            entries.RemoveAll(e => e.Key.Value == key);
            entries.Add(new YEntry(new YScalar(item.Mark, key, false), value));
        }
        return new YMapping(seq.Mark, entries);
    }

    private static YEntry Entry(SourceMark mark, string key, string value) =>
        new(new YScalar(mark, key, true), new YScalar(mark, value, true));
}
