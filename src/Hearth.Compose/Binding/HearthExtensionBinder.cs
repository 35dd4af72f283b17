using Hearth.Compose.Model;
using Hearth.Compose.Schema;
using Hearth.Compose.Yaml;
using static Hearth.Compose.Binding.Nodes;
using static Hearth.Compose.Schema.SchemaBuilders;

namespace Hearth.Compose.Binding;

/// <summary>
/// Binds the <c>x-hearth</c> service extension (documented in docs/compose.md). Unlike other <c>x-</c> keys it is
/// validated, because Hearth acts on it.
/// </summary>
internal sealed class HearthExtensionBinder(BindingContext context)
{
    private static readonly SchemaType Schema = Obj(
        ("constraints", SchemaBuilders.StrList),
        ("scale", Obj(("min", Int), ("max", Int))),
        ("max_per_agent", Int)
    );

    public HearthServiceOptions? Bind(YNode node, string path)
    {
        var before = context.Errors.Count;
        Schema.Validate(node, path, context.Errors);
        if (context.Errors.Count > before || node is not YMapping m)
            return null;
        var scale = m["scale"] as YMapping;
        var options = new HearthServiceOptions(
            StrList(m["constraints"]),
            Long(scale?["min"]),
            Long(scale?["max"]),
            Long(m["max_per_agent"])
        );
        foreach (var constraint in options.Constraints)
            if (!PlacementConstraint.TryParse(constraint, out _))
                context.Error(
                    m["constraints"]!,
                    KeyPath.Child(path, "constraints"),
                    $"{KeyPath.Child(path, "constraints")}: \"{constraint}\" must be \"label==value\" or \"label!=value\""
                );
        if (options.MinReplicas is < 0 || options.MaxReplicas < options.MinReplicas)
            context.Error(
                scale!,
                KeyPath.Child(path, "scale"),
                $"{KeyPath.Child(path, "scale")}: need 0 <= min <= max"
            );
        return options;
    }
}
