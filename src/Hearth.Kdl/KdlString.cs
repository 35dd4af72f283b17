namespace Hearth.Kdl;

/// <summary>A string value, whichever way it was written (bare identifier, quoted, raw, multi-line).</summary>
public sealed class KdlString : KdlValue
{
    public KdlString(string value, string? typeAnnotation = null, KdlSource? source = null, int offset = 0)
        : base(typeAnnotation, source, offset)
    {
        Value = value ?? throw new ArgumentNullException(nameof(value));
    }

    public string Value { get; }

    public override string? AsString() => Value;

    public override string ToString() => Value;
}
