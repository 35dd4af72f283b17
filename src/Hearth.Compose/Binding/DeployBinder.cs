using System.Collections.Immutable;
using Hearth.Compose.Model;
using Hearth.Compose.Yaml;
using static Hearth.Compose.Binding.Nodes;

namespace Hearth.Compose.Binding;

/// <summary>Binds <c>deploy</c>: replicas, resources, restart policy, placement.</summary>
internal sealed class DeployBinder(BindingContext context)
{
    private static readonly HashSet<string> Typed =
    [
        "mode",
        "replicas",
        "resources",
        "restart_policy",
        "placement",
        "labels",
    ];

    public DeploySpec Bind(YMapping m, string path)
    {
        var resources = m["resources"] as YMapping;
        var restart = m["restart_policy"] as YMapping;
        var placement = m["placement"] as YMapping;
        return new DeploySpec(
            Str(m["mode"]),
            Long(m["replicas"]),
            Resources(resources?["limits"], KeyPath.Child(KeyPath.Child(path, "resources"), "limits")),
            Resources(resources?["reservations"], KeyPath.Child(KeyPath.Child(path, "resources"), "reservations")),
            restart is null
                ? null
                : new RestartPolicy(
                    Str(restart["condition"]),
                    Duration(restart["delay"]),
                    Long(restart["max_attempts"]),
                    Duration(restart["window"])
                ),
            placement is null
                ? null
                : new PlacementSpec(
                    StrList(placement["constraints"]),
                    [
                        .. (placement["preferences"] as YSequence)
                            ?.Items.OfType<YMapping>()
                            .Select(p => Str(p["spread"]) ?? "")
                            ?? [],
                    ],
                    Long(placement["max_replicas_per_node"])
                ),
            Map(m["labels"]),
            Others(m, Typed).AddRange(Extensions(m))
        );
    }

    private ResourceSpec? Resources(YNode? node, string path)
    {
        if (node is not YMapping m)
            return null;
        var cpus = Str(m["cpus"]);
        double? cpuCount = null;
        if (cpus is not null)
        {
            if (Schema.ScalarParsing.TryNumber(cpus, out var parsed) && parsed >= 0)
                cpuCount = parsed;
            else
                context.Error(
                    m["cpus"]!,
                    KeyPath.Child(path, "cpus"),
                    $"{KeyPath.Child(path, "cpus")} must be a non-negative number"
                );
        }
        var devices = (m["devices"] as YSequence)?.Items ?? [];
        for (var i = 0; i < devices.Count; i++)
            if (devices[i] is YMapping d && d["count"] is not null && d["device_ids"] is not null)
                context.Error(
                    d,
                    KeyPath.Index(KeyPath.Child(path, "devices"), i),
                    $"{KeyPath.Index(KeyPath.Child(path, "devices"), i)}: \"count\" and \"device_ids\" attributes are exclusive"
                );
        return new ResourceSpec(
            cpuCount,
            Bytes(m["memory"]),
            Long(m["pids"]),
            [.. devices.Select(Value)],
            [.. ((m["generic_resources"] as YSequence)?.Items ?? []).Select(Value)]
        );
    }
}
