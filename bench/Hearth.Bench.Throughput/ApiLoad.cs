using System.Net.Http.Json;
using System.Text.Json;

namespace Hearth.Bench.Throughput;

/// <summary>Trivial runs through the real API: submitted by concurrent clients, drained by the agents.</summary>
public sealed class ApiLoad(HttpClient http)
{
    private static readonly object Body = new { command = new[] { "true" } };

    /// <summary>
    /// Submits <paramref name="count"/> runs from <paramref name="clients"/> concurrent clients; returns runs accepted
    /// per second.
    /// </summary>
    public async Task<double> SubmitAsync(int count, int clients)
    {
        var left = count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(
            Enumerable
                .Range(0, clients)
                .Select(_ =>
                    Task.Run(async () =>
                    {
                        while (Interlocked.Decrement(ref left) >= 0)
                        {
                            using var response = await http.PostAsJsonAsync("api/v1/runs", Body);
                            if (!response.IsSuccessStatusCode)
                                throw new InvalidOperationException(
                                    $"POST /runs: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}"
                                );
                        }
                    })
                )
        );
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Waits until no run is left unfinished; returns the latest end time among the newest <paramref name="count"/>
    /// runs.
    /// </summary>
    public async Task<DateTimeOffset> WaitForAllAsync(int count, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var open = await http.GetFromJsonAsync<JsonElement>(
                "api/v1/runs?status=STARTING,RUNNING,TERMINATING&limit=1"
            );
            if (open.GetProperty("runs").GetArrayLength() == 0)
                break;
            if (DateTime.UtcNow > until)
                throw new TimeoutException("the runs did not finish");
            await Task.Delay(50);
        }
        var runs = await http.GetFromJsonAsync<JsonElement>($"api/v1/runs?limit={count}");
        var failed = runs.GetProperty("runs")
            .EnumerateArray()
            .Count(r => r.GetProperty("status").GetString() != "SUCCEEDED");
        if (failed > 0)
            throw new InvalidOperationException($"{failed} runs did not succeed");
        return runs.GetProperty("runs").EnumerateArray().Max(r => r.GetProperty("ended_at").GetDateTimeOffset());
    }
}
