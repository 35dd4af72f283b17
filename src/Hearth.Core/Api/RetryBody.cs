namespace Hearth.Core.Api;

/// <summary>
/// The retry policy of POST /api/v1/runs (field <c>retry</c>). Durations in seconds; <c>backoff</c> is
/// constant, exponential or fibonacci. Unset fields take <see cref="Runs.RetryPolicy"/>'s defaults.
/// </summary>
public sealed record RetryBody
{
    /// <summary>Attempts in all, the first included.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>Exit codes that send the task back to the queue.</summary>
    public IReadOnlyList<int>? ExitCodes { get; init; }
    public bool? AgentLost { get; init; }
    public bool? SandboxStartFailed { get; init; }
    public string? Backoff { get; init; }
    public double? DelaySeconds { get; init; }
    public double? MaxDelaySeconds { get; init; }
}
