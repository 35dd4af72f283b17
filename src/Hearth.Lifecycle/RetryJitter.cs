using Hearth.Core.Runs;

namespace Hearth.Lifecycle;

/// <summary>
/// A retry's back-off less a random share of it (up to <c>fraction</c>), drawn from a generator seeded with the seed,
/// the task and the attempt: the same inputs always give the same delay.
/// </summary>
public sealed class RetryJitter(double fraction, int seed)
{
    public double Fraction { get; } = Math.Clamp(fraction, 0, 1);

    public RetryDecision Apply(RetryDecision decision, string taskId, int attempt)
    {
        if (!decision.Retry || decision.Delay <= TimeSpan.Zero || Fraction == 0)
            return decision;
        var draw = new Random(Mix(seed, taskId, attempt)).NextDouble();
        return decision with { Delay = TimeSpan.FromTicks((long)(decision.Delay.Ticks * (1 - Fraction * draw))) };
    }

    /// <summary>FNV-1a over the inputs: stable across processes (string.GetHashCode is not).</summary>
    private static int Mix(int seed, string taskId, int attempt)
    {
        unchecked
        {
            var hash = 2166136261u ^ (uint)seed;
            foreach (var c in taskId)
                hash = (hash ^ c) * 16777619u;
            hash = (hash ^ (uint)attempt) * 16777619u;
            return (int)hash;
        }
    }
}
