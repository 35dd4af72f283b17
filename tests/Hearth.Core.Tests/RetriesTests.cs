using Hearth.Core.Runs;

namespace Hearth.Core.Tests;

public sealed class RetriesTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData(RetryBackoff.Constant, new[] { 2, 2, 2, 2, 2, 2 })]
    [InlineData(RetryBackoff.Exponential, new[] { 2, 4, 8, 16, 32, 60 })]
    [InlineData(RetryBackoff.Fibonacci, new[] { 2, 2, 4, 6, 10, 16 })]
    public void The_wait_grows_with_the_back_off_and_stops_at_the_max_delay(RetryBackoff backoff, int[] seconds)
    {
        var policy = new RetryPolicy
        {
            Backoff = backoff,
            Delay = 2 * Second,
            MaxDelay = 60 * Second,
        };

        var delays = Enumerable.Range(1, seconds.Length).Select(attempt => Retries.DelayAfter(policy, attempt));

        Assert.Equal(seconds.Select(s => s * Second), delays);
    }

    [Fact]
    public void A_huge_attempt_number_is_capped_not_overflowed()
    {
        var policy = new RetryPolicy
        {
            Backoff = RetryBackoff.Exponential,
            Delay = TimeSpan.FromHours(1),
            MaxDelay = TimeSpan.FromDays(1),
        };

        Assert.Equal(TimeSpan.FromDays(1), Retries.DelayAfter(policy, 5000));
    }

    [Fact]
    public void Only_the_failures_the_policy_names_are_retried()
    {
        var policy = new RetryPolicy
        {
            MaxAttempts = 5,
            ExitCodes = [3, 75],
            AgentLost = false,
            SandboxStartFailed = true,
            Delay = Second,
        };

        Assert.True(Retries.Decide(policy, 1, RetryFailure.ExitCode, 75).Retry);
        Assert.False(Retries.Decide(policy, 1, RetryFailure.ExitCode, 1).Retry);
        Assert.False(Retries.Decide(policy, 1, RetryFailure.AgentLost, null).Retry);
        Assert.True(Retries.Decide(policy, 1, RetryFailure.SandboxStartFailed, null).Retry);
        Assert.False(Retries.Decide(policy, 1, RetryFailure.Other, null).Retry);
    }

    [Fact]
    public void The_last_attempt_is_never_retried()
    {
        var policy = new RetryPolicy { MaxAttempts = 3, ExitCodes = [1] };

        Assert.Equal(new RetryDecision(true, TimeSpan.Zero), Retries.Decide(policy, 2, RetryFailure.ExitCode, 1));
        Assert.Equal(RetryDecision.GiveUp, Retries.Decide(policy, 3, RetryFailure.ExitCode, 1));
        Assert.Equal(RetryDecision.GiveUp, Retries.Decide(policy, 4, RetryFailure.ExitCode, 1));
    }

    [Fact]
    public void Without_a_policy_a_lost_agent_is_requeued_at_once_up_to_the_max_attempts()
    {
        var policy = RetryPolicy.AgentLostOnly(2);

        Assert.Equal(new RetryDecision(true, TimeSpan.Zero), Retries.Decide(policy, 1, RetryFailure.AgentLost, null));
        Assert.False(Retries.Decide(policy, 2, RetryFailure.AgentLost, null).Retry);
        Assert.False(Retries.Decide(policy, 1, RetryFailure.ExitCode, 1).Retry);
    }

    [Theory]
    [InlineData(3, false, null, RetryFailure.ExitCode)]
    [InlineData(null, false, "image not found", RetryFailure.SandboxStartFailed)]
    [InlineData(137, true, null, RetryFailure.Other)]
    [InlineData(1, false, "lost the cgroup", RetryFailure.Other)]
    public void Results_are_classified_by_how_the_attempt_failed(
        int? exitCode,
        bool oom,
        string? error,
        RetryFailure expected
    )
    {
        Assert.Equal(expected, Retries.Classify(new TaskResult(exitCode, oom, error)));
    }

    [Fact]
    public void An_invalid_policy_is_reported()
    {
        var errors = new RetryPolicy
        {
            MaxAttempts = 0,
            Delay = -Second,
            Backoff = (RetryBackoff)9,
        }.Validate();

        Assert.Equal(3, errors.Count);
        Assert.Equal(
            ["retry.max_delay must be at least retry.delay"],
            new RetryPolicy { Delay = 2 * Second, MaxDelay = Second }.Validate()
        );
        Assert.Empty(
            new RetryPolicy
            {
                MaxAttempts = 3,
                Delay = Second,
                MaxDelay = Second,
            }.Validate()
        );
    }
}
