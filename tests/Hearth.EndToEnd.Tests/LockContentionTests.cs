using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// 50 runs on one lock while an agent is frozen past its lease and the server is killed -9 and restarted. Each holder
/// writes to a shared file through a resource that checks fencing tokens (as docs/locks.md describes); the file must
/// show no two holds overlapping, tokens strictly increasing, and grants in the order the runs queued.
/// </summary>
public sealed class LockContentionTests(ITestOutputHelper output)
{
    private const int Runs = 50;
    private const string LockName = "contended";

    // The protected resource: it accepts a hold's start only with a token at least the highest seen, and its end only
    // if no newer token started meanwhile; refusals are written down so the test can count them.
    private const string Script = """
        T=$HEARTH_LOCK_TOKEN_CONTENDED; cd "$SHARED" || exit 9
        s=$(date +%s%N)
        if ! ( flock 9; m=$(cat fence 2>/dev/null || echo 0); [ "$T" -ge "$m" ] || exit 1; echo "$T" > fence ) 9>fence.lock; then
          echo "$T start $HEARTH_RUN_ID" >> refused.log; exit 3
        fi
        sleep 0.3
        e=$(date +%s%N)
        echo "$T $s $e $HEARTH_RUN_ID" >> attempts.log
        if ! ( flock 9; [ "$T" = "$(cat fence)" ] || exit 1; echo "$T $s $e $HEARTH_RUN_ID" >> holds.log ) 9>fence.lock; then
          echo "$T end $HEARTH_RUN_ID" >> refused.log; exit 3
        fi
        """;

    private sealed record Hold(long Token, long Start, long End, string Run);

    [Fact]
    public async Task Fifty_runs_on_one_lock_survive_a_frozen_agent_and_a_killed_server()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "4s", heartbeat: "1s");
        await cluster.StartAgentAsync("agent-1", capacity: 2);
        await cluster.StartAgentAsync("agent-2", capacity: 2);
        var shared = Directory.CreateTempSubdirectory("hearth-contention-").FullName;
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-API-Key", cluster.AdminKey);

        var clock = Stopwatch.StartNew();
        var order = new List<string>();
        for (var i = 0; i < Runs; i++)
        {
            var response = await http.PostAsJsonAsync(
                "api/v1/runs",
                new
                {
                    command = new[] { "sh", "-c", Script },
                    driver = "process",
                    @lock = LockName,
                    env = new Dictionary<string, string> { ["SHARED"] = shared },
                }
            );
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            order.Add(
                JsonDocument
                    .Parse(await response.Content.ReadAsStringAsync())
                    .RootElement.GetProperty("id")
                    .GetString()!
            );
        }
        output.WriteLine($"created {Runs} runs in {clock.ElapsedMilliseconds} ms");

        var holds = Path.Combine(shared, "holds.log");
        await WaitForLinesAsync(holds, 5, TimeSpan.FromSeconds(60));
        var frozen = await FreezeHolderAsync(cluster, http);
        output.WriteLine($"froze {frozen} at {clock.Elapsed.TotalSeconds:0.0}s for 6s (lease 4s)");
        await Task.Delay(TimeSpan.FromSeconds(6));
        foreach (var agent in cluster.Agents)
            agent.Signal(18);

        await WaitForLinesAsync(holds, 20, TimeSpan.FromSeconds(90));
        await cluster.KillServerAsync();
        output.WriteLine($"killed the server (-9) at {clock.Elapsed.TotalSeconds:0.0}s");
        await Task.Delay(TimeSpan.FromSeconds(1));
        await cluster.RestartServerAsync();
        output.WriteLine($"server back at {clock.Elapsed.TotalSeconds:0.0}s");

        var states = await WaitAllEndedAsync(http, order, TimeSpan.FromSeconds(240));
        output.WriteLine(
            $"all {Runs} runs ended at {clock.Elapsed.TotalSeconds:0.0}s: "
                + string.Join(
                    ", ",
                    states.Values.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}")
                )
        );

        var accepted = Read(holds);
        var attempts = Read(Path.Combine(shared, "attempts.log"));
        var refused = File.Exists(Path.Combine(shared, "refused.log"))
            ? File.ReadAllLines(Path.Combine(shared, "refused.log"))
            : [];
        for (var i = 1; i < accepted.Count; i++)
        {
            Assert.True(
                accepted[i].Token > accepted[i - 1].Token,
                $"tokens not increasing: {accepted[i - 1]} then {accepted[i]}"
            );
            Assert.True(
                accepted[i].Start >= accepted[i - 1].End,
                $"holds overlap: {accepted[i - 1]} and {accepted[i]}"
            );
        }
        // Every run queued behind the first: grants (token order) must follow the order the runs were created in.
        var positions = accepted.Select(h => order.IndexOf(h.Run)).ToList();
        Assert.DoesNotContain(-1, positions);
        Assert.Equal(positions.Order().ToList(), positions);
        Assert.True(accepted.Count >= Runs - 5, $"only {accepted.Count} holds accepted");

        var executionOverlaps = attempts
            .OrderBy(a => a.Start)
            .Zip(attempts.OrderBy(a => a.Start).Skip(1))
            .Count(p => p.Second.Start < p.First.End);
        var gaps = accepted.Zip(accepted.Skip(1)).Select(p => (p.Second.Start - p.First.End) / 1e6).Order().ToList();
        output.WriteLine(
            $"holds accepted {accepted.Count}, refused by the fence {refused.Length}, executions that overlapped another {executionOverlaps}"
        );
        output.WriteLine(
            $"tokens {accepted[0].Token}..{accepted[^1].Token}; hand-off gap ms: median {gaps[gaps.Count / 2]:0}, p90 {gaps[(int)(gaps.Count * 0.9)]:0}, max {gaps[^1]:0}"
        );
        Directory.Delete(shared, recursive: true);
    }

    private static List<Hold> Read(string file) =>
        File.Exists(file)
            ? File.ReadAllLines(file)
                .Select(l => l.Split(' '))
                .Select(p => new Hold(long.Parse(p[0]), long.Parse(p[1]), long.Parse(p[2]), p[3]))
                .ToList()
            : [];

    private static async Task WaitForLinesAsync(string file, int lines, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!File.Exists(file) || File.ReadAllLines(file).Length < lines)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"{file} did not reach {lines} lines");
            await Task.Delay(100);
        }
    }

    /// <summary>SIGSTOPs the agent that runs the lock's current holder (the other one if none can be told).</summary>
    private static async Task<string> FreezeHolderAsync(HearthCluster cluster, HttpClient http)
    {
        var agents = JsonDocument
            .Parse(await http.GetStringAsync("api/v1/agents"))
            .RootElement.GetProperty("agents")
            .EnumerateArray()
            .ToDictionary(a => a.GetProperty("id").GetString()!, a => a.GetProperty("name").GetString()!);
        for (var tries = 0; tries < 50; tries++)
        {
            var status = JsonDocument.Parse(await http.GetStringAsync($"api/v1/locks/{LockName}")).RootElement;
            if (status.TryGetProperty("holder", out var holder))
            {
                var run = JsonDocument
                    .Parse(await http.GetStringAsync($"api/v1/runs/{holder.GetString()}"))
                    .RootElement;
                if (
                    run.TryGetProperty("agent_id", out var agentId)
                    && agents.TryGetValue(agentId.GetString()!, out var name)
                )
                {
                    cluster.Agents[name == "agent-1" ? 0 : 1].Signal(19);
                    return name;
                }
            }
            await Task.Delay(20);
        }
        cluster.Agents[0].Signal(19);
        return "agent-1";
    }

    private static async Task<Dictionary<string, string>> WaitAllEndedAsync(
        HttpClient http,
        IReadOnlyList<string> runs,
        TimeSpan timeout
    )
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var list = JsonDocument
                    .Parse(await http.GetStringAsync("api/v1/runs?limit=0"))
                    .RootElement.GetProperty("runs")
                    .EnumerateArray()
                    .ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("status").GetString()!);
                var states = runs.ToDictionary(r => r, r => list.GetValueOrDefault(r, "MISSING"));
                if (states.Values.All(s => s is "SUCCEEDED" or "FAILED" or "STOPPED" or "TIMED_OUT"))
                    return states;
                if (DateTime.UtcNow > until)
                    throw new TimeoutException(
                        "runs still live: "
                            + string.Join(
                                ", ",
                                states
                                    .Where(s => s.Value is not ("SUCCEEDED" or "FAILED"))
                                    .Select(s => $"{s.Key} {s.Value}")
                            )
                    );
            }
            catch (HttpRequestException) when (DateTime.UtcNow < until) { }
            await Task.Delay(250);
        }
    }
}
