using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A mixed load (short and long runs) submitted to every server of a cluster while servers and agents are
/// kill -9'ed at seeded random moments and restarted; then every invariant is checked from the API and from the
/// client-side list of what was accepted. Scale with HEARTH_CRASH_RUNS, HEARTH_CRASH_KILLS and HEARTH_CRASH_SEED;
/// HEARTH_CRASH_REPORT names a file the figures are appended to.
/// </summary>
public static partial class ChaosLoad
{
    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    /// <param name="agentsPerServer">Agents started on each server at first (restarted on the same server after a
    /// kill).</param>
    public static async Task RunAsync(HearthCluster cluster, ITestOutputHelper output, int agentsPerServer)
    {
        var seed = Env("HEARTH_CRASH_SEED", 20261124);
        var runs = Env("HEARTH_CRASH_RUNS", 150);
        var kills = Env("HEARTH_CRASH_KILLS", 8);
        var random = new Random(seed);
        var servers = cluster.Servers.Count;
        var agents = new List<(RunningProcess Process, int Server)>();
        for (var s = 0; s < servers; s++)
        {
            for (var a = 0; a < agentsPerServer; a++)
                agents.Add((await cluster.StartAgentAsync($"a{agents.Count + 1}", server: s), s));
        }

        var clients = cluster
            .Servers.Select(s =>
            {
                var http = new HttpClient { BaseAddress = new Uri(s.Url + "/"), Timeout = TimeSpan.FromSeconds(10) };
                http.DefaultRequestHeaders.Add("X-API-Key", cluster.AdminKey);
                return http;
            })
            .ToList();
        try
        {
            var accepted = new List<string>();
            var refusedWhileDown = 0;

            var load = Task.Run(async () =>
            {
                var loadRandom = new Random(seed + 1);
                for (var i = 0; i < runs; i++)
                {
                    var longRun = loadRandom.NextDouble() < 0.3;
                    var command = longRun
                        ? $"echo start-$HEARTH_ATTEMPT; sleep {1 + loadRandom.Next(3)}; echo done-$HEARTH_ATTEMPT"
                        : "echo done-$HEARTH_ATTEMPT";
                    var body = new
                    {
                        command = new[] { "sh", "-c", command },
                        max_attempts = loadRandom.NextDouble() < 0.5 ? 1 : 3,
                    };
                    try
                    {
                        using var response = await clients[i % servers].PostAsJsonAsync("api/v1/runs", body);
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            var run = await response.Content.ReadFromJsonAsync<JsonElement>();
                            lock (accepted)
                                accepted.Add(run.GetProperty("id").GetString()!);
                        }
                        else
                        {
                            Interlocked.Increment(ref refusedWhileDown);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        // Not acknowledged, so not accepted: the contract only covers what the API answered 201 to.
                        Interlocked.Increment(ref refusedWhileDown);
                    }
                    await Task.Delay(loadRandom.Next(10, 60));
                }
            });

            var serverKills = new int[servers];
            var agentKills = 0;
            for (var k = 0; k < kills; k++)
            {
                await Task.Delay(random.Next(300, 1500));
                if (random.NextDouble() < 0.35)
                {
                    var victim = random.Next(servers);
                    await cluster.KillServerAsync(victim);
                    serverKills[victim]++;
                    await Task.Delay(random.Next(100, 1200));
                    await cluster.RestartServerAsync(victim);
                }
                else
                {
                    var victim = random.Next(agents.Count);
                    var name = $"a{victim + 1}-{k}";
                    await cluster.KillAgentAsync(agents[victim].Process);
                    agentKills++;
                    await Task.Delay(random.Next(100, 800));
                    agents[victim] = (
                        await cluster.StartAgentAsync(name, server: agents[victim].Server),
                        agents[victim].Server
                    );
                }
            }
            await load;

            var http = clients[0];
            var pending = accepted.ToHashSet();
            var terminal = new Dictionary<string, JsonElement>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (pending.Count > 0 && DateTime.UtcNow < deadline)
            {
                var list = await http.GetFromJsonAsync<JsonElement>("api/v1/runs?limit=0");
                foreach (var run in list.GetProperty("runs").EnumerateArray())
                {
                    var id = run.GetProperty("id").GetString()!;
                    if (
                        pending.Contains(id)
                        && run.GetProperty("status").GetString() is "SUCCEEDED" or "FAILED" or "STOPPED" or "TIMED_OUT"
                    )
                    {
                        pending.Remove(id);
                        terminal[id] = await http.GetFromJsonAsync<JsonElement>($"api/v1/runs/{id}");
                    }
                }
                if (pending.Count > 0)
                    await Task.Delay(500);
            }

            var byStatus = terminal
                .Values.GroupBy(r => r.GetProperty("status").GetString())
                .ToDictionary(g => g.Key!, g => g.Count());
            var requeued = terminal.Values.Count(r => r.GetProperty("attempt").GetInt32() > 1);
            var reExecuted = 0;
            var doubleCompleted = 0;
            foreach (var (id, run) in terminal)
            {
                // No policy retries in this load: an earlier attempt may only have ended by losing its agent. One that
                // ended with a result, yet was followed by another attempt, was completed twice.
                var endedTwice =
                    run.GetProperty("attempts")
                        .EnumerateArray()
                        .Any(a => !a.GetProperty("reason").GetString()!.StartsWith("agent lost"))
                    || (
                        run.GetProperty("status").GetString() == "SUCCEEDED"
                        && run.GetProperty("exit_code").GetInt32() != 0
                    );
                if (endedTwice)
                    doubleCompleted++;
                // Attempts are numbered 1..n and every lost attempt is listed with why it ended; the last one is listed
                // too when it was itself lost (the run then failed as "agent lost").
                var attempt = run.GetProperty("attempt").GetInt32();
                var history = run.GetProperty("attempts")
                    .EnumerateArray()
                    .Select(a => a.GetProperty("attempt").GetInt32())
                    .ToList();
                var lastLost =
                    run.TryGetProperty("reason", out var reason) && reason.GetString()!.Contains("agent lost");
                Assert.True(attempt >= 1, $"run {id} has attempt {attempt}");
                Assert.Equal(Enumerable.Range(1, lastLost ? attempt : attempt - 1), history);
                if (run.GetProperty("status").GetString() == "SUCCEEDED")
                {
                    var logs = await http.GetFromJsonAsync<JsonElement>($"api/v1/runs/{id}/logs?from=0");
                    var done = logs.GetProperty("lines")
                        .EnumerateArray()
                        .Select(l => l.GetProperty("text").GetString())
                        .Where(t => t!.StartsWith("done-"))
                        .ToList();
                    Assert.Contains($"done-{attempt}", done);
                    if (done.Count > 1)
                        reExecuted++;
                }
            }
            var staleNow = 0.0;
            foreach (var client in clients)
                staleNow += StaleWritesRefused(await client.GetStringAsync("metrics"));

            var report =
                $"{cluster.Store}, {servers} server(s), seed {seed}: {accepted.Count} runs accepted "
                + $"({refusedWhileDown} submissions refused or unanswered while a server was down), "
                + $"{serverKills.Sum()} server kill -9s ({string.Join("/", serverKills)}), {agentKills} agent kill -9s; lost {pending.Count}; terminal: "
                + string.Join(", ", byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))
                + $"; double-completed {doubleCompleted}; requeued after a lost attempt {requeued}; "
                + $"executed again after a lost attempt {reExecuted}; stale writes refused by the last server incarnations {staleNow}";
            output.WriteLine(report);
            if (Environment.GetEnvironmentVariable("HEARTH_CRASH_REPORT") is { Length: > 0 } file)
                await File.AppendAllTextAsync(file, report + "\n");

            Assert.Empty(pending);
            Assert.Equal(0, doubleCompleted);
            Assert.True(accepted.Count > runs / 3, $"too few runs were accepted to prove anything: {report}");
            Assert.True(serverKills.Sum() + agentKills == kills);
        }
        finally
        {
            foreach (var client in clients)
                client.Dispose();
        }
    }

    public static double StaleWritesRefused(string metrics) =>
        StaleTotal().Matches(metrics).Sum(m => double.Parse(m.Groups[1].Value));

    [GeneratedRegex(@"^hearth_stale_writes_refused_total\{[^}]*\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex StaleTotal();
}
