namespace Hearth.Kdl;

/// <summary>A parsed KDL document: its top-level nodes and the source they came from.</summary>
public sealed class KdlDocument
{
    public KdlDocument(IReadOnlyList<KdlNode> nodes, KdlSource? source = null)
    {
        Nodes = nodes ?? throw new ArgumentNullException(nameof(nodes));
        Source = source;
    }

    public IReadOnlyList<KdlNode> Nodes { get; }

    public KdlSource? Source { get; }
}
