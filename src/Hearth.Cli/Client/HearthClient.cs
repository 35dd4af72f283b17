using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Cli.Client;

/// <summary>
/// The user side of /api/v1. Every failure becomes a <see cref="CliException"/> that says what and where.
/// </summary>
public sealed class HearthClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _server;

    /// <param name="anonymous">For the one public call that needs no key yet (claiming one).</param>
    public HearthClient(CliConfig config, bool anonymous = false)
    {
        _server = (config.Server ?? "").TrimEnd('/');
        if (
            !Uri.TryCreate(_server + "/", UriKind.Absolute, out var baseUri)
            || baseUri.Scheme is not ("http" or "https")
        )
            throw new CliException(
                $"server '{config.Server}' is not an http(s) URL (set it with --server or HEARTH_SERVER)"
            );
        if (string.IsNullOrEmpty(config.ApiKey) && !anonymous)
            throw new CliException(
                $"no API key for {_server}: run 'hearth dev', or set HEARTH_API_KEY or api_key in {CliConfig.DefaultPath()}"
            );
        _http = new HttpClient { BaseAddress = baseUri, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(config.ApiKey))
            _http.DefaultRequestHeaders.Add("X-API-Key", config.ApiKey);
    }

    public string Server => _server;

    /// <summary>
    /// Any JSON call under /api/v1 (users, secrets, audit): <paramref name="path"/> is relative, already escaped.
    /// </summary>
    public Task<T> SendJsonAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct) =>
        SendAsync<T>(
            () =>
                new HttpRequestMessage(method, path)
                {
                    Content = body is null
                        ? null
                        : JsonContent.Create(body, CliJson.Options.GetTypeInfo(body.GetType())),
                },
            ct
        );

    public Task<RunView> CreateRunAsync(CreateRunBody body, CancellationToken ct) =>
        SendAsync<RunView>(
            () =>
                new HttpRequestMessage(HttpMethod.Post, "api/v1/runs")
                {
                    Content = JsonContent.Create(body, CliJson.Options.TypeInfo<CreateRunBody>()),
                },
            ct
        );

    public Task<RunView> GetRunAsync(string id, CancellationToken ct) =>
        SendAsync<RunView>(() => new HttpRequestMessage(HttpMethod.Get, $"api/v1/runs/{Uri.EscapeDataString(id)}"), ct);

    public Task<RunListView> ListRunsAsync(string? status, int limit, CancellationToken ct) =>
        SendAsync<RunListView>(
            () =>
                new HttpRequestMessage(
                    HttpMethod.Get,
                    $"api/v1/runs?limit={limit}"
                        + (string.IsNullOrEmpty(status) ? "" : $"&status={Uri.EscapeDataString(status)}")
                ),
            ct
        );

    public Task<AgentListView> ListAgentsAsync(CancellationToken ct) =>
        SendAsync<AgentListView>(() => new HttpRequestMessage(HttpMethod.Get, "api/v1/agents"), ct);

    public Task<RunView> KillAsync(string id, CancellationToken ct) =>
        SendAsync<RunView>(
            () => new HttpRequestMessage(HttpMethod.Post, $"api/v1/runs/{Uri.EscapeDataString(id)}/kill"),
            ct
        );

    /// <summary>
    /// One page of a run's log; pages as large as the server allows, so a long log costs few round trips.
    /// </summary>
    public Task<LogPageView> LogPageAsync(string id, long from, CancellationToken ct, string? step = null) =>
        SendAsync<LogPageView>(
            () =>
                new HttpRequestMessage(
                    HttpMethod.Get,
                    $"api/v1/runs/{Uri.EscapeDataString(id)}/logs?from={from}&limit=10000{StepQuery(step)}"
                ),
            ct
        );

    /// <summary>
    /// The same page as its JSON bytes, for printing lines without making objects of them, with where the next page
    /// starts when the server says so in its headers (before the body is read).
    /// </summary>
    public async Task<(RentedBody Body, LogPageEnd? End)> LogPageBytesAsync(
        string id,
        long from,
        CancellationToken ct,
        string? step = null
    )
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(
                $"api/v1/runs/{Uri.EscapeDataString(id)}/logs?from={from}&limit=10000{StepQuery(step)}",
                HttpCompletionOption.ResponseHeadersRead,
                ct
            );
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, ct);
            LogPageEnd? end = null;
            if (
                response.Headers.TryGetValues("Hearth-Log-Next", out var nexts)
                && long.TryParse(nexts.FirstOrDefault(), out var next)
                && response.Headers.TryGetValues("Hearth-Log-Complete", out var completes)
                && bool.TryParse(completes.FirstOrDefault(), out var complete)
            )
                end = new LogPageEnd(-1, next, complete);
            return (await RentedBody.ReadAsync(response.Content, ct), end);
        }
    }

    public Task<RunView> CreateWorkflowRunAsync(CreateWorkflowRunBody body, CancellationToken ct) =>
        SendAsync<RunView>(
            () =>
                new HttpRequestMessage(HttpMethod.Post, "api/v1/workflows/runs")
                {
                    Content = JsonContent.Create(body, CliJson.Options.TypeInfo<CreateWorkflowRunBody>()),
                },
            ct
        );

    public Task<WorkflowRunView> GetWorkflowRunAsync(string id, CancellationToken ct) =>
        SendAsync<WorkflowRunView>(
            () => new HttpRequestMessage(HttpMethod.Get, $"api/v1/workflows/runs/{Uri.EscapeDataString(id)}"),
            ct
        );

    private static string StepQuery(string? step) => step is null ? "" : $"&step={Uri.EscapeDataString(step)}";

    /// <summary>
    /// Follows a run's log over SSE: lines, then one end event. Reconnects from the last line seen if the stream drops.
    /// </summary>
    public async IAsyncEnumerable<LogEvent> FollowAsync(
        string id,
        long from,
        [EnumeratorCancellation] CancellationToken ct,
        string? step = null
    )
    {
        var next = from;
        var failures = 0;
        while (true)
        {
            HttpResponseMessage response;
            try
            {
                var request = new HttpRequestMessage(
                    HttpMethod.Get,
                    $"api/v1/runs/{Uri.EscapeDataString(id)}/logs?from={next}&follow=true{StepQuery(step)}"
                );
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException) when (++failures <= MaxStreamRetries)
            {
                await Task.Delay(RetryDelay(failures), ct);
                continue;
            }
            catch (HttpRequestException e)
            {
                throw Unreachable(e);
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                    throw await ErrorAsync(response, ct);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
                string? eventName = null;
                var data = new System.Text.StringBuilder();
                while (true)
                {
                    string? line;
                    try
                    {
                        line = await reader.ReadLineAsync(ct);
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException)
                    {
                        line = null;
                    }
                    if (line is null)
                        break;
                    if (line.Length == 0)
                    {
                        if (eventName == "line")
                        {
                            var view = JsonSerializer.Deserialize(
                                data.ToString(),
                                CliJson.Options.TypeInfo<LogLineView>()
                            )!;
                            next = view.Seq + 1;
                            failures = 0;
                            yield return new LogEvent(view, null);
                        }
                        else if (eventName == "end")
                        {
                            yield return new LogEvent(
                                null,
                                JsonSerializer.Deserialize(data.ToString(), CliJson.Options.TypeInfo<LogEndView>())
                            );
                            yield break;
                        }
                        eventName = null;
                        data.Clear();
                        continue;
                    }
                    if (line.StartsWith("event: ", StringComparison.Ordinal))
                        eventName = line[7..];
                    else if (line.StartsWith("data: ", StringComparison.Ordinal))
                        data.Append(line, 6, line.Length - 6);
                }
            }
            if (++failures > MaxStreamRetries)
                throw new CliException($"lost the log stream of run {id} from {_server}", ExitCodes.PlatformFailure);
            await Task.Delay(RetryDelay(failures), ct);
        }
    }

    /// <summary>
    /// Posts <paramref name="body"/> and reads the answer as newline-delimited JSON, one <typeparamref name="T"/> a
    /// line, as the server writes them (exec's stream).
    /// </summary>
    public async IAsyncEnumerable<T> PostNdjsonAsync<TBody, T>(
        string path,
        TBody body,
        [EnumeratorCancellation] CancellationToken ct
    )
    {
        HttpResponseMessage response;
        try
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = JsonContent.Create(body, CliJson.Options.TypeInfo<TBody>()),
            };
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length > 0)
                    yield return JsonSerializer.Deserialize(line, CliJson.Options.TypeInfo<T>())!;
            }
        }
    }

    /// <summary>A follower rides out a server restart (about half a minute) before giving up.</summary>
    private const int MaxStreamRetries = 20;

    private static TimeSpan RetryDelay(int failures) => TimeSpan.FromMilliseconds(Math.Min(200 * failures, 2000));

    private async Task<T> SendAsync<T>(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request(), ct);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw await ErrorAsync(response, ct);
            return (await response.Content.ReadFromJsonAsync(CliJson.Options.TypeInfo<T>(), ct))!;
        }
    }

    private CliException Unreachable(HttpRequestException e) =>
        new($"cannot reach the Hearth server at {_server}: {e.Message} (is 'hearth dev' or 'hearth server' running?)");

    private static async Task<CliException> ErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ErrorView? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(CliJson.Options.TypeInfo<ErrorView>(), ct);
        }
        catch (JsonException) { }
        var code = error?.Code ?? response.StatusCode.ToString();
        var message = error?.Error ?? $"server answered {(int)response.StatusCode}";
        // The server refused what was asked (a bad lock name, an unknown status, a limit out of range): a usage error.
        var exitCode = error?.Code == "INVALID_REQUEST" ? 2 : 1;
        return new CliException(
            response.StatusCode == HttpStatusCode.NotFound ? message : $"{message} ({code})",
            exitCode
        );
    }

    public void Dispose() => _http.Dispose();
}

public sealed record LogEvent(LogLineView? Line, LogEndView? End);
