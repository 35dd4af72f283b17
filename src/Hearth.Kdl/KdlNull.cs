namespace Hearth.Kdl;

/// <summary><c>#null</c>.</summary>
public sealed class KdlNull : KdlValue
{
    public KdlNull(string? typeAnnotation = null, KdlSource? source = null, int offset = 0)
        : base(typeAnnotation, source, offset) { }

    public override string ToString() => "#null";
}
