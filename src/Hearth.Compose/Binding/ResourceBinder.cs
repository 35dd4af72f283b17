using Hearth.Compose.Model;
using Hearth.Compose.Yaml;
using static Hearth.Compose.Binding.Nodes;

namespace Hearth.Compose.Binding;

/// <summary>Binds top-level networks, volumes, secrets and configs, filling their engine names.</summary>
internal sealed class ResourceBinder(BindingContext context)
{
    private static readonly HashSet<string> NetworkTyped = ["name", "driver", "external", "internal", "labels"];
    private static readonly HashSet<string> VolumeTyped = ["name", "driver", "external", "labels"];
    private static readonly HashSet<string> FileTyped =
    [
        "name",
        "file",
        "environment",
        "content",
        "external",
        "labels",
    ];

    public NetworkDefinition Network(string key, YNode node)
    {
        var m = node as YMapping ?? new YMapping(node.Mark, []);
        var (name, external) = NameAndExternal("networks", key, m);
        return new NetworkDefinition(
            name,
            Str(m["driver"]),
            external,
            Bool(m["internal"]) ?? false,
            Map(m["labels"]),
            Others(m, NetworkTyped).AddRange(Extensions(m))
        );
    }

    public VolumeDefinition Volume(string key, YNode node)
    {
        var m = node as YMapping ?? new YMapping(node.Mark, []);
        var (name, external) = NameAndExternal("volumes", key, m);
        return new VolumeDefinition(
            name,
            Str(m["driver"]),
            external,
            Map(m["labels"]),
            Others(m, VolumeTyped).AddRange(Extensions(m))
        );
    }

    public FileObjectDefinition FileObject(string section, string key, YNode node)
    {
        var m = node as YMapping ?? new YMapping(node.Mark, []);
        var path = KeyPath.Child(section, key);
        var (name, external) = NameAndExternal(section, key, m);
        var file = m["file"] is YScalar { IsNull: false } f ? context.ResolvePath(f, f.Value) : null;
        var sources = new[]
        {
            file is not null,
            m["environment"] is not null,
            m["content"] is not null,
            external,
        }.Count(b => b);
        if (sources != 1)
            context.Error(m, path, $"{path} must set exactly one of file, environment, content or external");
        return new FileObjectDefinition(
            name,
            file,
            Str(m["environment"]),
            Str(m["content"]),
            external,
            Map(m["labels"]),
            Others(m, FileTyped).AddRange(Extensions(m))
        );
    }

    private (string Name, bool External) NameAndExternal(string section, string key, YMapping m)
    {
        var path = KeyPath.Child(section, key);
        var name = Str(m["name"]);
        var externalNode = m["external"];
        var external = externalNode is YMapping || (Bool(externalNode) ?? false);
        if (externalNode is YMapping ext && Str(ext["name"]) is { } externalName)
        {
            if (name is not null && name != externalName)
                context.Error(ext, path, $"{path}: name and external.name conflict; only use name");
            name ??= externalName;
        }
        if (external && m["driver"] is not null)
            context.Error(m["driver"]!, path, $"{path}: conflicting parameters \"external\" and \"driver\" specified");
        return (name ?? (external ? key : $"{context.ProjectName}_{key}"), external);
    }
}
