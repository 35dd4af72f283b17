using Hearth.Compose.Model;
using Hearth.Compose.Yaml;
using static Hearth.Compose.Binding.Nodes;

namespace Hearth.Compose.Binding;

/// <summary>
/// Binds <c>build</c> (a context path, or the long form); the context defaults to the file's directory.
/// </summary>
internal sealed class BuildBinder(BindingContext context)
{
    private static readonly HashSet<string> Typed = ["context", "dockerfile", "dockerfile_inline", "target", "args"];

    public BuildSpec Bind(YNode node, string path)
    {
        if (node is YScalar s)
            return new BuildSpec(
                context.ResolvePath(s, s.Value),
                "Dockerfile",
                null,
                null,
                NullableMap(null),
                Values([])
            );
        var m = (YMapping)node;
        var contextNode = m["context"];
        var directory = contextNode is YScalar { IsNull: false } c
            ? context.ResolvePath(c, c.Value)
            : context.ResolvePath(m, ".");
        var dockerfile = Str(m["dockerfile"]);
        var inline = Str(m["dockerfile_inline"]);
        if (dockerfile is not null && inline is not null)
            context.Error(m, path, $"{path}: dockerfile and dockerfile_inline are mutually exclusive");
        return new BuildSpec(
            directory,
            inline is null ? dockerfile ?? "Dockerfile" : null,
            inline,
            Str(m["target"]),
            NullableMap(m["args"]),
            Others(m, Typed).AddRange(Extensions(m))
        );
    }
}
