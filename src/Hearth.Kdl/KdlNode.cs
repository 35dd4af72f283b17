namespace Hearth.Kdl;

/// <summary>A node: a name, arguments in order, properties, and child nodes.</summary>
public sealed class KdlNode
{
    public KdlNode(
        string name,
        string? typeAnnotation,
        IReadOnlyList<KdlValue> arguments,
        IReadOnlyList<KdlProperty> properties,
        IReadOnlyList<KdlNode> children,
        KdlSource? source = null,
        int offset = 0
    )
    {
        Name = name ?? throw new ArgumentNullException(nameof(name));
        TypeAnnotation = typeAnnotation;
        Arguments = arguments ?? throw new ArgumentNullException(nameof(arguments));
        Properties = properties ?? throw new ArgumentNullException(nameof(properties));
        Children = children ?? throw new ArgumentNullException(nameof(children));
        Source = source;
        Offset = offset;
    }

    public string Name { get; }

    public string? TypeAnnotation { get; }

    public IReadOnlyList<KdlValue> Arguments { get; }

    /// <summary>
    /// Properties in the order written, duplicates included. Use <see cref="GetProperty"/> for the
    /// effective value, which is the rightmost one with that key.
    /// </summary>
    public IReadOnlyList<KdlProperty> Properties { get; }

    public IReadOnlyList<KdlNode> Children { get; }

    public KdlSource? Source { get; }

    /// <summary>Offset of the node's first character (its type annotation or name).</summary>
    public int Offset { get; }

    public KdlLocation Location => Source?.GetLocation(Offset) ?? default;

    /// <summary>The rightmost property with this key, or null.</summary>
    public KdlValue? GetProperty(string key)
    {
        for (int i = Properties.Count - 1; i >= 0; i--)
        {
            if (Properties[i].Key == key)
            {
                return Properties[i].Value;
            }
        }

        return null;
    }

    public override string ToString() => Name;
}
