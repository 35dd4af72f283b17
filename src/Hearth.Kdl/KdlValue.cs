namespace Hearth.Kdl;

/// <summary>An argument or property value, with its optional type annotation and where it was written.</summary>
public abstract class KdlValue
{
    private protected KdlValue(string? typeAnnotation, KdlSource? source, int offset)
    {
        TypeAnnotation = typeAnnotation;
        Source = source;
        Offset = offset;
    }

    /// <summary>The <c>(type)</c> prefix, or null when there is none.</summary>
    public string? TypeAnnotation { get; }

    public KdlSource? Source { get; }

    /// <summary>Offset of the value (or of its type annotation) in <see cref="Source"/>.</summary>
    public int Offset { get; }

    public KdlLocation Location => Source?.GetLocation(Offset) ?? default;

    /// <summary>The string content when this is a string, otherwise null.</summary>
    public virtual string? AsString() => null;
}
