using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Bench.Throughput;

/// <summary>
/// N agents played over the real agent protocol, with no sandbox: each registers, long-polls for a lease, and reports
/// success at once, asking for its next task in the same call (as a real agent does for short tasks). What is left is
/// what the server itself costs per task. Paused, they finish the call in flight and take no more leases.
/// </summary>
public sealed class SimulatedAgents : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private volatile TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<SimulatedAgents> StartAsync(IReadOnlyList<string> urls, string agentToken, int count)
    {
        var agents = new SimulatedAgents();
        for (var i = 0; i < count; i++)
        {
            var http = new HttpClient
            {
                BaseAddress = new Uri(urls[i % urls.Count] + "/"),
                Timeout = TimeSpan.FromSeconds(90),
            };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", agentToken);
            http.DefaultRequestHeaders.Add(AgentProtocolVersion.Header, "2");
            agents._clients.Add(http);
            var registered = await PostAsync<RegisterAgentView>(
                http,
                "api/v1/agent/register",
                new RegisterAgentBody($"sim-{i}", new Dictionary<string, string>(), 1, "bench"),
                CancellationToken.None
            );
            agents._loops.Add(Task.Run(() => agents.LoopAsync(http, registered!.AgentId)));
        }
        return agents;
    }

    public void Pause()
    {
        if (_open.Task.IsCompleted)
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Resume() => _open.TrySetResult();

    private async Task LoopAsync(HttpClient http, string agentId)
    {
        var ct = _stop.Token;
        try
        {
            Assignment? lease = null;
            while (!ct.IsCancellationRequested)
            {
                if (lease is null)
                    await _open.Task.WaitAsync(ct);
                var request = new LeaseRequest(agentId, 1, 5);
                lease ??= (
                    await PostAsync<LeaseAnswer>(http, "api/v1/agent/lease", request, ct)
                )?.Assignments.SingleOrDefault();
                if (lease is null)
                    continue;
                var next = _open.Task.IsCompleted ? new AgentRef(agentId) : null;
                var done = await PostAsync<CompleteView>(
                    http,
                    $"api/v1/agent/tasks/{lease.TaskId}/complete",
                    new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, 0, null, next),
                    ct
                );
                lease = done?.Next;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
    }

    private static async Task<T?> PostAsync<T>(HttpClient http, string path, object body, CancellationToken ct)
    {
        using var response = await http.PostAsync(
            path,
            JsonContent.Create(body, body.GetType(), options: HearthJson.Options),
            ct
        );
        if (response.StatusCode == HttpStatusCode.NoContent)
            return default;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException(
                $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}"
            );
        return await response.Content.ReadFromJsonAsync<T>(HearthJson.Options, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
        foreach (var client in _clients)
            client.Dispose();
        _stop.Dispose();
    }
}
