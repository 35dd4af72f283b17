namespace Hearth.Compose.Yaml;

/// <summary>Where a node starts in its file (1-based line and column).</summary>
public sealed record SourceMark(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
