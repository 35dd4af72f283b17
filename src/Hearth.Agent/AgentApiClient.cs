using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Services;

namespace Hearth.Agent;

/// <summary>
/// The agent's side of the pull protocol. The agent opens no ports: every exchange is a request it makes.
/// </summary>
public sealed class AgentApiClient(HttpClient http)
{
    public static HttpClient CreateHttpClient(AgentOptions options)
    {
        // The protocol follows no redirects and keeps no cookies: no handler stage for either on a path taken twice per
        // task. Trace context (W3C traceparent) goes with each call while the agent traces, so the server's spans join
        // the task's trace; with tracing off there is no stage for it either.
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            AllowAutoRedirect = false,
            UseCookies = false,
            ActivityHeadersPropagator = options.OtlpEndpoint is null
                ? null
                : System.Diagnostics.DistributedContextPropagator.Current,
        };
        var client = new HttpClient(handler) { BaseAddress = options.Server, Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        client.DefaultRequestHeaders.UserAgent.ParseAdd($"hearth-agent/{options.Version}");
        var version = AgentProtocolVersion.Current.ToString(System.Globalization.CultureInfo.InvariantCulture);
        client.DefaultRequestHeaders.Add(AgentProtocolVersion.Header, version);
        return client;
    }

    public Task<RegisterAgentView> RegisterAsync(RegisterAgentBody body, CancellationToken ct) =>
        PostAsync<RegisterAgentBody, RegisterAgentView>("api/v1/agent/register", body, null, ct)!;

    /// <summary>
    /// Long-polls for up to <see cref="LeaseRequest.Slots"/> tasks; no assignments when the poll ended without any (its
    /// prewarm hints, if any, beside them).
    /// </summary>
    public async Task<LeaseAnswer> LeaseAsync(LeaseRequest body, CancellationToken ct) =>
        await PostAsync<LeaseRequest, LeaseAnswer>("api/v1/agent/lease", body, null, ct) ?? new LeaseAnswer([]);

    /// <summary>Tells the server this agent takes no more work; its poll in flight ends without a lease.</summary>
    public async Task DrainAsync(string agentId, CancellationToken ct)
    {
        try
        {
            using var response = await SendJsonAsync("api/v1/agent/drain", new AgentRef(agentId), ct);
        }
        catch (HttpRequestException)
        {
            // The server is gone; the poll will fail on its own.
        }
    }

    public Task MarkRunningAsync(string taskId, RunningBody body, CancellationToken ct) =>
        PostAsync($"api/v1/agent/tasks/{taskId}/running", body, taskId, ct);

    public Task<HeartbeatView?> HeartbeatAsync(string taskId, HeartbeatBody body, CancellationToken ct) =>
        PostAsync<HeartbeatBody, HeartbeatView>($"api/v1/agent/tasks/{taskId}/heartbeat", body, taskId, ct);

    /// <summary>
    /// Ships a chunk; returns the offset the server has stored up to (after a gap, where to resend from).
    /// </summary>
    public async Task<long> AppendLogsAsync(string taskId, LogChunkBody body, CancellationToken ct)
    {
        using var response = await SendJsonAsync($"api/v1/agent/tasks/{taskId}/logs", body, ct);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var error = await ReadJsonAsync<ErrorView>(response, ct);
            if (
                error is { Code: "LOG_GAP", Details: JsonElement gap }
                && gap.TryGetProperty("next_offset", out var next)
            )
                return next.GetInt64();
            throw new StaleLeaseException(taskId);
        }
        await EnsureAsync(response, taskId, ct);
        return (await ReadJsonAsync<LogChunkView>(response, ct))!.NextOffset;
    }

    /// <summary>
    /// Reports a result; returns the next assignment when <see cref="CompleteBody.Next"/> asked for one and a task was
    /// waiting.
    /// </summary>
    public async Task<Assignment?> CompleteAsync(string taskId, CompleteBody body, CancellationToken ct) =>
        (await PostAsync<CompleteBody, CompleteView>($"api/v1/agent/tasks/{taskId}/complete", body, taskId, ct))?.Next;

    /// <summary>
    /// Reports a replica's health; false when the server has no such endpoint (404: a server older than services),
    /// which the caller treats as nothing to report to.
    /// </summary>
    public async Task<bool> ReportHealthAsync(string taskId, ReplicaHealthBody body, CancellationToken ct)
    {
        using var response = await SendJsonAsync($"api/v1/agent/tasks/{taskId}/health", body, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await EnsureAsync(response, taskId, ct);
        return true;
    }

    /// <summary>
    /// The names a project network's embedded DNS answers; null when the server has no such endpoint (404).
    /// </summary>
    public async Task<NetworkNamesView?> NetworkNamesAsync(string project, string network, CancellationToken ct)
    {
        using var response = await http.GetAsync(
            $"api/v1/agent/networks/{Uri.EscapeDataString(project)}/{Uri.EscapeDataString(network)}/names",
            ct
        );
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureAsync(response, null, ct);
        return await ReadJsonAsync<NetworkNamesView>(response, ct);
    }

    /// <summary>
    /// Long-polls for exec sessions into this agent's replicas; null when the server has no such endpoint (404).
    /// </summary>
    public async Task<IReadOnlyList<ExecSessionView>?> PollExecAsync(ExecPollBody body, CancellationToken ct)
    {
        using var response = await SendJsonAsync("api/v1/agent/exec/poll", body, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureAsync(response, null, ct);
        return (await ReadJsonAsync<ExecPollAnswer>(response, ct))?.Sessions ?? [];
    }

    /// <summary>
    /// Posts an exec session's output; false when the session is gone (its user left: stop the command).
    /// </summary>
    public async Task<bool> PostExecOutputAsync(string sessionId, ExecOutputBody body, CancellationToken ct)
    {
        using var response = await SendJsonAsync(
            $"api/v1/agent/exec/{Uri.EscapeDataString(sessionId)}/output",
            body,
            ct
        );
        if (response.StatusCode == HttpStatusCode.NotFound)
            return false;
        await EnsureAsync(response, null, ct);
        return true;
    }

    /// <summary>The <c>down -v</c> removals to do; null when the server has no such endpoint (404).</summary>
    public async Task<IReadOnlyList<VolumeRemovalView>?> VolumeRemovalsAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync("api/v1/agent/volumes/removals", ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        await EnsureAsync(response, null, ct);
        return (await ReadJsonAsync<VolumeRemovalsView>(response, ct))?.Removals ?? [];
    }

    public Task ReportVolumesRemovedAsync(VolumesRemovedBody body, CancellationToken ct) =>
        PostAsync("api/v1/agent/volumes/removed", body, null, ct);

    /// <summary>A call whose answer carries nothing the agent needs: its body is not read.</summary>
    private async Task PostAsync<TBody>(string path, TBody body, string? taskId, CancellationToken ct)
    {
        using var response = await SendJsonAsync(path, body, ct);
        await EnsureAsync(response, taskId, ct);
    }

    private async Task<TResponse?> PostAsync<TBody, TResponse>(
        string path,
        TBody body,
        string? taskId,
        CancellationToken ct
    )
    {
        using var response = await SendJsonAsync(path, body, ct);
        await EnsureAsync(response, taskId, ct);
        return await ReadJsonAsync<TResponse>(response, ct);
    }

    private static readonly MediaTypeHeaderValue JsonType = new("application/json") { CharSet = "utf-8" };

    /// <summary>
    /// Posts <paramref name="body"/> serialized at once into one buffer (the bodies are small): no streaming writer per
    /// call.
    /// </summary>
    private Task<HttpResponseMessage> SendJsonAsync<TBody>(string path, TBody body, CancellationToken ct)
    {
        var content = new ByteArrayContent(
            JsonSerializer.SerializeToUtf8Bytes(body, HearthJson.Options.TypeInfo<TBody>())
        );
        content.Headers.ContentType = JsonType;
        return http.PostAsync(path, content, ct);
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken ct) =>
        JsonSerializer.Deserialize(await response.Content.ReadAsByteArrayAsync(ct), HearthJson.Options.TypeInfo<T>());

    private static async Task EnsureAsync(HttpResponseMessage response, string? taskId, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
            return;
        if (response.StatusCode == HttpStatusCode.Conflict && taskId is not null)
            throw new StaleLeaseException(taskId);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode == HttpStatusCode.BadRequest && Unsupported(text) is { } message)
            throw new AgentProtocolUnsupportedException((int)response.StatusCode, text, message);
        throw new AgentProtocolException((int)response.StatusCode, text);
    }

    /// <summary>The server's words when it refused this agent's protocol version, else null.</summary>
    private static string? Unsupported(string body)
    {
        try
        {
            var error = JsonSerializer.Deserialize(body, HearthJson.Options.TypeInfo<ErrorView>());
            return error is { Code: AgentProtocolVersion.UnsupportedCode } ? error.Error : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
