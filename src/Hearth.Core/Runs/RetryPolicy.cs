namespace Hearth.Core.Runs;

/// <summary>
/// Which failures send a task back to the queue, how many attempts it gets in all, and how long each retry
/// waits. A task without a policy is retried only when its agent is lost, at once, up to its max attempts.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Attempts in all, the first included: 1 means never retried.</summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>Exit codes that retry the task; any other non-zero exit code fails it.</summary>
    public IReadOnlyList<int> ExitCodes { get; init; } = [];

    /// <summary>Retry when the agent stopped renewing its lease.</summary>
    public bool AgentLost { get; init; } = true;

    /// <summary>Retry when the sandbox could not be started (bad image pull, driver error, …).</summary>
    public bool SandboxStartFailed { get; init; }
    public RetryBackoff Backoff { get; init; } = RetryBackoff.Constant;

    /// <summary>Wait before the first retry; the back-off grows from it.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.Zero;

    /// <summary>No retry ever waits longer than this.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(10);

    public const int AttemptsLimit = 100;

    /// <summary>What a task without a policy gets: re-queued at once when its agent is lost.</summary>
    public static RetryPolicy AgentLostOnly(int maxAttempts) => new() { MaxAttempts = maxAttempts };

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (MaxAttempts is < 1 or > AttemptsLimit)
            errors.Add($"retry.max_attempts must be between 1 and {AttemptsLimit}");
        if (Delay < TimeSpan.Zero)
            errors.Add("retry.delay must not be negative");
        if (MaxDelay < Delay)
            errors.Add("retry.max_delay must be at least retry.delay");
        if (!Enum.IsDefined(Backoff))
            errors.Add("retry.backoff must be constant, exponential or fibonacci");
        return errors;
    }
}
