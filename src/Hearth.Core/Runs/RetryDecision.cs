namespace Hearth.Core.Runs;

/// <summary>
/// Whether a failed attempt is retried and, if so, how long the task waits before it may be claimed again.
/// </summary>
public readonly record struct RetryDecision(bool Retry, TimeSpan Delay)
{
    public static RetryDecision GiveUp { get; } = new(false, TimeSpan.Zero);
}
