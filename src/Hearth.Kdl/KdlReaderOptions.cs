namespace Hearth.Kdl;

/// <summary>Limits that keep hostile input from exhausting the stack.</summary>
public sealed record KdlReaderOptions
{
    public static KdlReaderOptions Default { get; } = new();

    /// <summary>Maximum nesting of children blocks. Deeper documents are rejected with an error.</summary>
    public int MaxDepth { get; init; } = 256;
}
