namespace Hearth.Kdl;

/// <summary>A <c>key=value</c> entry on a node.</summary>
public sealed class KdlProperty
{
    public KdlProperty(string key, KdlValue value, int offset = 0)
    {
        Key = key ?? throw new ArgumentNullException(nameof(key));
        Value = value ?? throw new ArgumentNullException(nameof(value));
        Offset = offset;
    }

    public string Key { get; }

    public KdlValue Value { get; }

    /// <summary>Offset of the key in the value's source.</summary>
    public int Offset { get; }

    public KdlLocation Location => Value.Source?.GetLocation(Offset) ?? default;
}
