using System.Collections.Immutable;
using Hearth.Compose.Model;
using Hearth.Compose.Yaml;
using static Hearth.Compose.Binding.Nodes;

namespace Hearth.Compose.Binding;

/// <summary>
/// Builds the project model from the merged tree, splitting services into enabled and disabled by profile,
/// and adding the <c>default</c> network when a service uses it.
/// </summary>
internal sealed class ProjectBinder(BindingContext context, IReadOnlySet<string> profiles)
{
    public ComposeProject Bind(YMapping tree, string workingDirectory)
    {
        var services = new ServiceBinder(context);
        var resources = new ResourceBinder(context);
        var enabled = ImmutableSortedDictionary.CreateBuilder<string, ComposeService>(StringComparer.Ordinal);
        var disabled = ImmutableSortedDictionary.CreateBuilder<string, ComposeService>(StringComparer.Ordinal);
        foreach (var e in Entries(tree, "services"))
        {
            var service = services.Bind(e.Key.Value, e.Value);
            var on = service.Profiles.IsEmpty || profiles.Contains("*") || service.Profiles.Any(profiles.Contains);
            (on ? enabled : disabled)[service.Name] = service;
        }

        var networks = Entries(tree, "networks")
            .ToImmutableSortedDictionary(
                e => e.Key.Value,
                e => resources.Network(e.Key.Value, e.Value),
                StringComparer.Ordinal
            );
        if (!networks.ContainsKey("default") && enabled.Values.Any(s => s.Networks.ContainsKey("default")))
            networks = networks.Add(
                "default",
                new NetworkDefinition(
                    $"{context.ProjectName}_default",
                    null,
                    false,
                    false,
                    ImmutableSortedDictionary<string, string>.Empty,
                    ImmutableSortedDictionary<string, ComposeValue>.Empty
                )
            );

        return new ComposeProject(
            context.ProjectName,
            workingDirectory,
            enabled.ToImmutable(),
            networks,
            Entries(tree, "volumes")
                .ToImmutableSortedDictionary(
                    e => e.Key.Value,
                    e => resources.Volume(e.Key.Value, e.Value),
                    StringComparer.Ordinal
                ),
            Entries(tree, "secrets")
                .ToImmutableSortedDictionary(
                    e => e.Key.Value,
                    e => resources.FileObject("secrets", e.Key.Value, e.Value),
                    StringComparer.Ordinal
                ),
            Entries(tree, "configs")
                .ToImmutableSortedDictionary(
                    e => e.Key.Value,
                    e => resources.FileObject("configs", e.Key.Value, e.Value),
                    StringComparer.Ordinal
                ),
            Values(Entries(tree, "models")),
            Extensions(tree),
            disabled.ToImmutable()
        );
    }

    private static IReadOnlyList<YEntry> Entries(YMapping tree, string section) =>
        (tree[section] as YMapping)?.Entries ?? [];
}
