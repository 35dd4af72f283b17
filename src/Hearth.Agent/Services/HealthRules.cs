using Hearth.Core.Services;

namespace Hearth.Agent.Services;

/// <summary>A replica's health between checks: what was last reported and how many checks in a row failed.</summary>
public sealed record HealthState(ReplicaHealth Health, int FailingStreak, string? Output)
{
    public static HealthState Initial { get; } = new(ReplicaHealth.Starting, 0, null);
}

/// <summary>
/// Compose's (and Docker's) health rules, pure: a passing check makes the replica healthy and clears the streak; a
/// failing one within <c>start_period</c> does not count; after it, <c>retries</c> failures in a row make it unhealthy
/// (until then it keeps the health it had). Checks come every <c>start_interval</c> during the start period while
/// nothing has passed yet, else every <c>interval</c>.
/// </summary>
public static class HealthRules
{
    public static HealthState Next(HealthState state, bool passed, string? output, bool inStartPeriod, int retries)
    {
        if (passed)
            return new HealthState(ReplicaHealth.Healthy, 0, output);
        if (inStartPeriod)
            return state with { Output = output };
        var streak = state.FailingStreak + 1;
        return new HealthState(streak >= Math.Max(retries, 1) ? ReplicaHealth.Unhealthy : state.Health, streak, output);
    }

    public static TimeSpan Delay(HealthCheckSpec spec, HealthState state, bool inStartPeriod) =>
        inStartPeriod && state.Health == ReplicaHealth.Starting && spec.StartInterval > TimeSpan.Zero
            ? spec.StartInterval
            : spec.Interval;

    /// <summary>
    /// Reported on each change, and after every check while unhealthy (the reconciler counts on hearing it).
    /// </summary>
    public static bool ShouldReport(HealthState before, HealthState after) =>
        before.Health != after.Health || after.Health == ReplicaHealth.Unhealthy;
}
