namespace Hearth.Core.Runs;

/// <summary>The retry decision, pure: from a policy, the attempt that just ended and how it failed.</summary>
public static class Retries
{
    /// <summary>Classifies a failed result reported by an agent.</summary>
    public static RetryFailure Classify(TaskResult result) =>
        result switch
        {
            { OomKilled: true } => RetryFailure.Other,
            { Error: not null, ExitCode: null } => RetryFailure.SandboxStartFailed,
            { Error: not null } => RetryFailure.Other,
            { ExitCode: not null and not 0 } => RetryFailure.ExitCode,
            _ => RetryFailure.Other,
        };

    /// <param name="attempt">The attempt that just failed, 1 for the first.</param>
    public static RetryDecision Decide(RetryPolicy policy, int attempt, RetryFailure failure, int? exitCode)
    {
        if (attempt >= policy.MaxAttempts)
            return RetryDecision.GiveUp;
        var wanted = failure switch
        {
            RetryFailure.AgentLost => policy.AgentLost,
            RetryFailure.SandboxStartFailed => policy.SandboxStartFailed,
            RetryFailure.ExitCode => exitCode is { } code && policy.ExitCodes.Contains(code),
            _ => false,
        };
        return wanted ? new RetryDecision(true, DelayAfter(policy, attempt)) : RetryDecision.GiveUp;
    }

    /// <summary>The wait after attempt <paramref name="attempt"/> failed, capped at the policy's max delay.</summary>
    public static TimeSpan DelayAfter(RetryPolicy policy, int attempt)
    {
        var factor = policy.Backoff switch
        {
            RetryBackoff.Exponential => Math.Pow(2, attempt - 1),
            RetryBackoff.Fibonacci => Fibonacci(attempt),
            _ => 1.0,
        };
        var ticks = policy.Delay.Ticks * factor;
        return ticks >= policy.MaxDelay.Ticks ? policy.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    private static double Fibonacci(int n)
    {
        double a = 1,
            b = 1;
        for (var i = 2; i < n; i++)
            (a, b) = (b, a + b);
        return b;
    }
}
