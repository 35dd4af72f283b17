using Hearth.Compose.Yaml;

namespace Hearth.Compose.Schema;

/// <summary>A node of the compose schema: checks one YAML node and reports what was expected.</summary>
public abstract class SchemaType
{
    /// <summary>Short noun phrase for "must be a …" messages.</summary>
    public abstract string Expected { get; }

    /// <summary>
    /// Whether this type can describe <paramref name="node"/>'s shape (used to pick a branch of a choice).
    /// </summary>
    public abstract bool Accepts(YNode node);

    public abstract void Validate(YNode node, string path, List<ComposeError> errors);

    protected static void Fail(YNode node, string path, string message, List<ComposeError> errors) =>
        errors.Add(ComposeError.At(node.Mark, path, message));
}
