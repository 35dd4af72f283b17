namespace Hearth.Workflows.Imports;

/// <summary>Bounds on imports, so a hostile or broken file cannot make validation slow or huge.</summary>
public sealed record ImportLimits
{
    public static ImportLimits Default { get; } = new();

    /// <summary>Largest file accepted, local or remote.</summary>
    public long MaxBytes { get; init; } = 1024 * 1024;

    /// <summary>Time allowed for one remote fetch.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest chain of nested imports.</summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>Most steps a workflow may have after all imports are spliced in.</summary>
    public int MaxSteps { get; init; } = 2000;
}
