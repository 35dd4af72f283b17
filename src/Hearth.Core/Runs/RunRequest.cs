namespace Hearth.Core.Runs;

/// <summary>An ad-hoc run as a client asks for it; validated before anything is stored.</summary>
public sealed record RunRequest
{
    public required TaskSpec Task { get; init; }

    /// <summary>How many times the task may be leased before the run fails (agent lost).</summary>
    public int MaxAttempts { get; init; } = 1;
}
