using Hearth.Server.Configuration;
using Microsoft.Extensions.Http.Resilience;

namespace Hearth.Server.GitLab;

/// <summary>
/// The HTTP client GitLab is called with: Microsoft.Extensions.Http.Resilience's standard pipeline (retries with
/// exponential back-off and jitter on connection errors, 408, 429 and 5xx, honouring Retry-After; a circuit breaker;
/// timeouts). A job request is a long poll, so an attempt may take a minute.
/// </summary>
public static class GitLabHttp
{
    public const string ClientName = "gitlab";

    public static void Add(IServiceCollection services, GitLabOptions options)
    {
        services
            .AddHttpClient(ClientName, http =>
            {
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.UserAgent.ParseAdd("hearth-runner");
            })
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = options.Retries;
                o.Retry.Delay = options.RetryDelay;
                o.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
                o.Retry.UseJitter = true;
                o.AttemptTimeout.Timeout = TimeSpan.FromSeconds(90);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(3);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(10);
            });
    }
}
