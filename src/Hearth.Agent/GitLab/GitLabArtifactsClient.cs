using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Hearth.Agent.GitLab;

/// <summary>What GitLab answered an artifacts call: done, or why not (in words for the job's trace).</summary>
public sealed record ArtifactsCallOutcome(bool Succeeded, HttpStatusCode? Status, string? Error);

/// <summary>
/// GitLab's artifacts endpoints as gitlab-runner's network client calls them: POST /api/v4/jobs/:id/artifacts (a
/// multipart <c>file</c>; <c>artifact_format</c>, <c>artifact_type</c> and <c>expire_in</c> in the query; the job's
/// JOB-TOKEN; 201) and GET /api/v4/jobs/:id/artifacts (the dependency's JOB-TOKEN; 200 with the zip). Transient
/// failures (connection errors, 408, 429, 5xx, honouring Retry-After) are retried with back-off by a
/// Microsoft.Extensions.Http.Resilience retry strategy, each attempt a fresh request. A redirect (object storage) is
/// followed without the token. Tokens go in headers only: never in a URL, never in a log line.
/// </summary>
public sealed class GitLabArtifactsClient(HttpClient http, TimeSpan retryDelay)
{
    public const string JobTokenHeader = "JOB-TOKEN";

    private readonly ResiliencePipeline<HttpResponseMessage> _retries =
        new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(
                new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 3,
                    Delay = retryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                }
            )
            .Build();

    /// <summary>
    /// The HTTP client the agent calls GitLab with: redirects are followed by hand, without the token.
    /// </summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromMinutes(30) };

    public async Task<ArtifactsCallOutcome> UploadAsync(
        Uri gitlab,
        long jobId,
        string jobToken,
        string zipPath,
        string fileName,
        string? expireIn,
        CancellationToken ct
    )
    {
        var query = "artifact_format=zip&artifact_type=archive";
        if (expireIn is not null)
            query += "&expire_in=" + Uri.EscapeDataString(expireIn);
        var url = Api(gitlab, $"jobs/{jobId.ToString(CultureInfo.InvariantCulture)}/artifacts?{query}");
        try
        {
            using var response = await _retries.ExecuteAsync(
                async token =>
                {
                    var request = new HttpRequestMessage(HttpMethod.Post, url);
                    request.Headers.Add(JobTokenHeader, jobToken);
                    var form = new MultipartFormDataContent();
                    var file = new StreamContent(File.OpenRead(zipPath));
                    file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    form.Add(file, "file", fileName);
                    request.Content = form;
                    return await http.SendAsync(request, token);
                },
                ct
            );
            return response.StatusCode switch
            {
                HttpStatusCode.Created => new ArtifactsCallOutcome(true, response.StatusCode, null),
                HttpStatusCode.RequestEntityTooLarge => new ArtifactsCallOutcome(
                    false,
                    response.StatusCode,
                    "GitLab refused the archive as too large (413): raise the project's or instance's maximum artifacts size, or archive less"
                ),
                HttpStatusCode.Forbidden => new ArtifactsCallOutcome(
                    false,
                    response.StatusCode,
                    "GitLab refused the job's token (403)"
                ),
                _ => new ArtifactsCallOutcome(
                    false,
                    response.StatusCode,
                    $"GitLab answered {(int)response.StatusCode}"
                ),
            };
        }
        catch (Exception e)
            when (e is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new ArtifactsCallOutcome(false, null, $"GitLab could not be reached ({e.Message})");
        }
    }

    public async Task<ArtifactsCallOutcome> DownloadAsync(
        Uri gitlab,
        long jobId,
        string token,
        string zipPath,
        CancellationToken ct
    )
    {
        var url = Api(gitlab, $"jobs/{jobId.ToString(CultureInfo.InvariantCulture)}/artifacts");
        try
        {
            var response = await GetAsync(url, token, ct);
            for (
                var hops = 0;
                IsRedirect(response.StatusCode) && response.Headers.Location is { } location && hops < 5;
                hops++
            )
            {
                response.Dispose();
                // Object storage signs its own URL: the job token stays with GitLab.
                response = await GetAsync(new Uri(url, location), null, ct);
            }
            using (response)
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        await using (var file = File.Create(zipPath))
                            await response.Content.CopyToAsync(file, ct);
                        return new ArtifactsCallOutcome(true, response.StatusCode, null);
                    case HttpStatusCode.NotFound:
                        return new ArtifactsCallOutcome(
                            false,
                            response.StatusCode,
                            "GitLab has no artifacts for it (404; expired or never uploaded)"
                        );
                    case HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized:
                        return new ArtifactsCallOutcome(
                            false,
                            response.StatusCode,
                            $"GitLab refused its token ({(int)response.StatusCode})"
                        );
                    default:
                        return new ArtifactsCallOutcome(
                            false,
                            response.StatusCode,
                            $"GitLab answered {(int)response.StatusCode}"
                        );
                }
            }
        }
        catch (Exception e)
            when (e is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return new ArtifactsCallOutcome(false, null, $"GitLab could not be reached ({e.Message})");
        }
    }

    private async Task<HttpResponseMessage> GetAsync(Uri url, string? token, CancellationToken ct) =>
        await _retries.ExecuteAsync(
            async t =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (token is not null)
                    request.Headers.Add(JobTokenHeader, token);
                return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, t);
            },
            ct
        );

    private static bool IsRedirect(HttpStatusCode status) => (int)status is >= 300 and < 400;

    private static Uri Api(Uri gitlab, string path) => new(gitlab.ToString().TrimEnd('/') + "/api/v4/" + path);
}
