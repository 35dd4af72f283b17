using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hearth.Server.GitLab;

/// <summary>
/// The answer of /runners/verify: valid (with the runner's id), refused (403), or GitLab could not be asked.
/// </summary>
public sealed record VerifyOutcome(bool Valid, long? RunnerId, string? Error);

/// <summary>
/// A job (201), none (204), or a failure; <c>LastUpdate</c> is GitLab's queue cursor for the next request.
/// </summary>
public sealed record JobRequestOutcome(JobResponse? Job, string? LastUpdate, string? Error, bool Forbidden = false);

public enum TracePatchStatus
{
    Accepted,

    /// <summary>416: GitLab holds another length; <see cref="TracePatchOutcome.RemoteOffset"/> says which.</summary>
    RangeMismatch,

    /// <summary>403: the job is not running any more (canceled, or failed in GitLab).</summary>
    Abort,
    NotFound,
    Failed,
}

/// <param name="RemoteOffset">The trace's length GitLab has now (from its <c>Range: 0-N</c> answer), when it
/// said.</param>
/// <param name="JobStatus">GitLab's <c>Job-Status</c> header: running, canceling, canceled, failed…</param>
/// <param name="UpdateInterval">GitLab's <c>X-GitLab-Trace-Update-Interval</c>: how often it wants the trace.</param>
public sealed record TracePatchOutcome(
    TracePatchStatus Status,
    long? RemoteOffset,
    string? JobStatus,
    TimeSpan? UpdateInterval,
    string? Error = null
);

public enum JobUpdateStatus
{
    Succeeded,

    /// <summary>
    /// 202: GitLab accepted the state but is still checking the trace; send it again after the interval.
    /// </summary>
    Accepted,

    /// <summary>412: GitLab's copy of the trace does not match the checksum.</summary>
    TraceValidationFailed,
    Abort,
    NotFound,
    Failed,
}

public sealed record JobUpdateOutcome(
    JobUpdateStatus Status,
    string? JobStatus,
    TimeSpan? UpdateInterval,
    string? Error = null
);

/// <summary>
/// GitLab's runner API (/api/v4), as gitlab-runner speaks it. Transient failures (connection errors, 408, 429, 5xx) are
/// retried with back-off by the HTTP client's resilience pipeline (<see cref="GitLabHttp"/>); what is left is answered
/// as an outcome, never thrown, and counted in <c>hearth_gitlab_request_errors_total</c>.
/// </summary>
public sealed class GitLabClient(IHttpClientFactory factory, GitLabMetrics metrics)
{
    public const string JobTokenHeader = "JOB-TOKEN";
    public const string JobStatusHeader = "Job-Status";
    public const string UpdateIntervalHeader = "X-GitLab-Trace-Update-Interval";
    public const string LastUpdateHeader = "X-GitLab-Last-Update";

    private HttpClient Http => factory.CreateClient(GitLabHttp.ClientName);

    public async Task<VerifyOutcome> VerifyAsync(Uri gitlab, string token, string systemId, CancellationToken ct)
    {
        try
        {
            using var response = await Http.PostAsJsonAsync(
                Api(gitlab, "runners/verify"),
                new VerifyRunnerRequest(token, systemId),
                GitLabJsonContext.Default.VerifyRunnerRequest,
                ct
            );
            if (response.StatusCode == HttpStatusCode.Forbidden)
                return new VerifyOutcome(false, null, "GitLab refused the token (403)");
            if (!response.IsSuccessStatusCode)
                return Failed("verify", $"GitLab answered {(int)response.StatusCode}");
            var body = await ReadJsonAsync(response, GitLabJsonContext.Default.VerifyRunnerResponse, ct);
            return new VerifyOutcome(true, body?.Id, null);
        }
        catch (Exception e) when (IsTransport(e, ct))
        {
            return Failed("verify", Describe(e));
        }

        VerifyOutcome Failed(string call, string error)
        {
            metrics.RequestError(call);
            return new VerifyOutcome(false, null, error);
        }
    }

    public async Task<JobRequestOutcome> RequestJobAsync(Uri gitlab, JobRequest request, CancellationToken ct)
    {
        try
        {
            using var response = await Http.PostAsJsonAsync(
                Api(gitlab, "jobs/request"),
                request,
                GitLabJsonContext.Default.JobRequest,
                ct
            );
            var lastUpdate = Header(response, LastUpdateHeader) ?? request.LastUpdate;
            switch (response.StatusCode)
            {
                case HttpStatusCode.NoContent:
                    return new JobRequestOutcome(null, lastUpdate, null);
                case HttpStatusCode.Created:
                    var job = await ReadJsonAsync(response, GitLabJsonContext.Default.JobResponse, ct);
                    return job is null
                        ? Failed("GitLab answered 201 without a job")
                        : new JobRequestOutcome(job, lastUpdate, null);
                case HttpStatusCode.Forbidden:
                    metrics.RequestError("request");
                    return new JobRequestOutcome(
                        null,
                        lastUpdate,
                        "GitLab refused the runner's token (403)",
                        Forbidden: true
                    );
                default:
                    return Failed($"GitLab answered {(int)response.StatusCode}");
            }
        }
        catch (Exception e) when (IsTransport(e, ct))
        {
            return Failed(Describe(e));
        }

        JobRequestOutcome Failed(string error)
        {
            metrics.RequestError("request");
            return new JobRequestOutcome(null, request.LastUpdate, error);
        }
    }

    /// <summary>
    /// Sends the trace's bytes from <paramref name="offset"/> (<c>Content-Range: start-end</c>, end inclusive).
    /// </summary>
    public async Task<TracePatchOutcome> PatchTraceAsync(
        Uri gitlab,
        long jobId,
        string jobToken,
        long offset,
        ReadOnlyMemory<byte> bytes,
        CancellationToken ct
    )
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Patch, Api(gitlab, $"jobs/{jobId}/trace"));
            message.Headers.Add(JobTokenHeader, jobToken);
            message.Content = new ReadOnlyMemoryContent(bytes);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            message.Content.Headers.TryAddWithoutValidation(
                "Content-Range",
                string.Create(CultureInfo.InvariantCulture, $"{offset}-{offset + bytes.Length - 1}")
            );
            using var response = await Http.SendAsync(message, ct);
            var status = Header(response, JobStatusHeader);
            var interval = Interval(response);
            var remote = RemoteOffset(response);
            var outcome = response.StatusCode switch
            {
                HttpStatusCode.Accepted => new TracePatchOutcome(
                    TracePatchStatus.Accepted,
                    remote ?? offset + bytes.Length,
                    status,
                    interval
                ),
                HttpStatusCode.RequestedRangeNotSatisfiable => new TracePatchOutcome(
                    TracePatchStatus.RangeMismatch,
                    remote,
                    status,
                    interval
                ),
                HttpStatusCode.Forbidden => new TracePatchOutcome(TracePatchStatus.Abort, remote, status, interval),
                HttpStatusCode.NotFound => new TracePatchOutcome(TracePatchStatus.NotFound, null, status, interval),
                _ => new TracePatchOutcome(
                    TracePatchStatus.Failed,
                    null,
                    status,
                    interval,
                    $"GitLab answered {(int)response.StatusCode}"
                ),
            };
            if (outcome.Status is not (TracePatchStatus.Accepted or TracePatchStatus.RangeMismatch))
                metrics.RequestError("trace");
            return outcome;
        }
        catch (Exception e) when (IsTransport(e, ct))
        {
            metrics.RequestError("trace");
            return new TracePatchOutcome(TracePatchStatus.Failed, null, null, null, Describe(e));
        }
    }

    public async Task<JobUpdateOutcome> UpdateJobAsync(
        Uri gitlab,
        long jobId,
        UpdateJobRequest update,
        CancellationToken ct
    )
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Put, Api(gitlab, $"jobs/{jobId}"));
            message.Headers.Add(JobTokenHeader, update.Token);
            message.Content = JsonContent.Create(update, GitLabJsonContext.Default.UpdateJobRequest);
            using var response = await Http.SendAsync(message, ct);
            var status = Header(response, JobStatusHeader);
            var outcome = response.StatusCode switch
            {
                HttpStatusCode.OK => new JobUpdateOutcome(JobUpdateStatus.Succeeded, status, null),
                HttpStatusCode.Accepted => new JobUpdateOutcome(JobUpdateStatus.Accepted, status, Interval(response)),
                HttpStatusCode.PreconditionFailed => new JobUpdateOutcome(
                    JobUpdateStatus.TraceValidationFailed,
                    status,
                    null
                ),
                HttpStatusCode.Forbidden => new JobUpdateOutcome(JobUpdateStatus.Abort, status, null),
                HttpStatusCode.NotFound => new JobUpdateOutcome(JobUpdateStatus.NotFound, status, null),
                _ => new JobUpdateOutcome(
                    JobUpdateStatus.Failed,
                    status,
                    null,
                    $"GitLab answered {(int)response.StatusCode}"
                ),
            };
            if (outcome.Status is not (JobUpdateStatus.Succeeded or JobUpdateStatus.Accepted))
                metrics.RequestError("update");
            return outcome;
        }
        catch (Exception e) when (IsTransport(e, ct))
        {
            metrics.RequestError("update");
            return new JobUpdateOutcome(JobUpdateStatus.Failed, null, null, Describe(e));
        }
    }

    public static Uri Api(Uri gitlab, string path) => new(gitlab.ToString().TrimEnd('/') + "/api/v4/" + path);

    private static async Task<T?> ReadJsonAsync<T>(
        HttpResponseMessage response,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        CancellationToken ct
    )
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(type, ct);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static TimeSpan? Interval(HttpResponseMessage response) =>
        int.TryParse(
            Header(response, UpdateIntervalHeader),
            NumberStyles.None,
            CultureInfo.InvariantCulture,
            out var seconds
        )
        && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    /// <summary>GitLab's <c>Range: 0-N</c> answer: the length of the trace it holds.</summary>
    private static long? RemoteOffset(HttpResponseMessage response)
    {
        var range = Header(response, "Range");
        if (range is null)
            return null;
        var dash = range.IndexOf('-');
        return
            dash > 0
            && long.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            ? end
            : null;
    }

    private static bool IsTransport(Exception e, CancellationToken ct) =>
        e
            is HttpRequestException
                or Polly.Timeout.TimeoutRejectedException
                or Polly.CircuitBreaker.BrokenCircuitException
        || (e is TaskCanceledException && !ct.IsCancellationRequested);

    private static string Describe(Exception e) =>
        e switch
        {
            Polly.CircuitBreaker.BrokenCircuitException => "GitLab failed too often; calls are paused for a while",
            Polly.Timeout.TimeoutRejectedException or TaskCanceledException => "GitLab did not answer in time",
            _ => e.Message,
        };
}
