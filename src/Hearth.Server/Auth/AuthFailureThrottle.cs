using System.Threading.RateLimiting;
using Hearth.Server.Configuration;

namespace Hearth.Server.Auth;

/// <summary>
/// Brute-force brake: counts failed authentications (unknown keys, bad claim tokens) per client address in a
/// fixed one-minute window; an address over the limit gets 429 for the rest of the window without its key being looked at.
/// </summary>
public sealed class AuthFailureThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    public AuthFailureThrottle(ServerOptions options)
    {
        var limit = options.Access.AuthFailuresPerMinute;
        _failures = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = limit, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
    }

    public bool IsBlocked(string address) => _failures.GetStatistics(address) is { CurrentAvailablePermits: <= 0 };

    public void RecordFailure(string address)
    {
        using var _ = _failures.AttemptAcquire(address);
    }

    public void Dispose() => _failures.Dispose();
}
