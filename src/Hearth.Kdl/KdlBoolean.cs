namespace Hearth.Kdl;

/// <summary><c>#true</c> or <c>#false</c>.</summary>
public sealed class KdlBoolean : KdlValue
{
    public KdlBoolean(bool value, string? typeAnnotation = null, KdlSource? source = null, int offset = 0)
        : base(typeAnnotation, source, offset)
    {
        Value = value;
    }

    public bool Value { get; }

    public override string ToString() => Value ? "#true" : "#false";
}
