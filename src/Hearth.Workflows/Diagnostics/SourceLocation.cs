namespace Hearth.Workflows.Diagnostics;

/// <summary>A file (a path or an import URL) and a 1-based line and column in it.</summary>
public readonly record struct SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
