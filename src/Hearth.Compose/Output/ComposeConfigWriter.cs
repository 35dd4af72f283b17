using System.Collections.Immutable;
using Hearth.Compose.Model;

namespace Hearth.Compose.Output;

/// <summary>
/// Renders a project as normalised YAML, like <c>docker compose config</c>: long syntax, defaults filled,
/// keys sorted. Loading the output again and writing it gives the same text.
/// </summary>
public static class ComposeConfigWriter
{
    public static string Write(ComposeProject project) => YamlEmitter.Emit(ToValue(project));

    public static ComposeValue ToValue(ComposeProject project)
    {
        var root = new ValueBuilder()
            .Add("name", project.Name)
            .Add("services", Map(project.Services, ServiceWriter.ToValue))
            .Add("networks", Map(project.Networks, Network))
            .Add("volumes", Map(project.Volumes, Volume))
            .Add("secrets", Map(project.Secrets, FileObject))
            .Add("configs", Map(project.Configs, FileObject))
            .Add("models", Map(project.Models, m => m));
        return root.AddAll(project.Extensions).InOrder();
    }

    private static ComposeValue? Map<T>(ImmutableSortedDictionary<string, T> items, Func<T, ComposeValue> convert) =>
        items.IsEmpty
            ? null
            : new ComposeValue.MapValue([.. items.Select(kv => KeyValuePair.Create(kv.Key, convert(kv.Value)))]);

    private static ComposeValue Network(NetworkDefinition n) =>
        new ValueBuilder()
            .Add("name", n.Name)
            .Add("driver", n.Driver)
            .AddTrue("external", n.External)
            .AddTrue("internal", n.Internal)
            .AddMap("labels", n.Labels)
            .AddAll(n.Other)
            .Sorted();

    private static ComposeValue Volume(VolumeDefinition v) =>
        new ValueBuilder()
            .Add("name", v.Name)
            .Add("driver", v.Driver)
            .AddTrue("external", v.External)
            .AddMap("labels", v.Labels)
            .AddAll(v.Other)
            .Sorted();

    private static ComposeValue FileObject(FileObjectDefinition f) =>
        new ValueBuilder()
            .Add("name", f.Name)
            .Add("file", f.File)
            .Add("environment", f.Environment)
            .Add("content", f.Content)
            .AddTrue("external", f.External)
            .AddMap("labels", f.Labels)
            .AddAll(f.Other)
            .Sorted();
}
