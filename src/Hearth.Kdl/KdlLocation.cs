namespace Hearth.Kdl;

/// <summary>A 1-based line and column (in Unicode scalar values) within a KDL source.</summary>
public readonly record struct KdlLocation(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
