using Microsoft.Extensions.Http.Resilience;

namespace Hearth.Server.Statuses;

/// <summary>
/// The HTTP client commit statuses are sent with: Microsoft.Extensions.Http.Resilience's standard pipeline retries
/// connection errors, 408, 429 and 5xx a few times within one send (exponential back-off with jitter, honouring
/// Retry-After); what still fails goes back to the outbox for a later attempt.
/// </summary>
public static class CommitStatusHttp
{
    public const string ClientName = "forge-status";

    public static void Add(IServiceCollection services, int retries = 2, TimeSpan? delay = null)
    {
        services
            .AddHttpClient(ClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = Math.Max(1, retries);
                o.Retry.Delay = delay ?? TimeSpan.FromMilliseconds(500);
                o.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
                o.Retry.UseJitter = true;
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(10);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(30);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(60);
            })
            // One circuit breaker per forge host: a forge that is down does not hold back the others' statuses.
            .SelectPipelineByAuthority();
    }
}
