using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Durable hand-off under faults: kill -9 of the server and agents at seeded random moments under a mixed load,
/// agents frozen past their lease, agents drained. Every accepted run must reach a terminal state, attempts
/// must be numbered without gaps, and late writes from a superseded attempt must be refused.
/// Scale with HEARTH_CRASH_RUNS, HEARTH_CRASH_KILLS and HEARTH_CRASH_SEED for a longer run by hand.
/// </summary>
public sealed partial class CrashTests(ITestOutputHelper output)
{
    private static int Env(string name, int fallback) => int.TryParse(Environment.GetEnvironmentVariable(name), out var v) ? v : fallback;

    [Fact]
    public async Task Mixed_load_with_random_kill_9s_of_server_and_agents_loses_nothing()
    {
        var seed = Env("HEARTH_CRASH_SEED", 20261124);
        var runs = Env("HEARTH_CRASH_RUNS", 150);
        var kills = Env("HEARTH_CRASH_KILLS", 8);
        var random = new Random(seed);
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms", port: FreePort());
        var agents = new List<RunningProcess> { await cluster.StartAgentAsync("a1"), await cluster.StartAgentAsync("a2") };

        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url + "/"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Add("X-API-Key", cluster.AdminKey);
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
                var body = new { command = new[] { "sh", "-c", command }, max_attempts = loadRandom.NextDouble() < 0.5 ? 1 : 3 };
                try
                {
                    using var response = await http.PostAsJsonAsync("api/v1/runs", body);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        var run = await response.Content.ReadFromJsonAsync<JsonElement>();
                        lock (accepted) accepted.Add(run.GetProperty("id").GetString()!);
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

        var serverKills = 0;
        var agentKills = 0;
        for (var k = 0; k < kills; k++)
        {
            await Task.Delay(random.Next(300, 1500));
            if (random.NextDouble() < 0.35)
            {
                await cluster.KillServerAsync();
                serverKills++;
                await Task.Delay(random.Next(100, 1200));
                await cluster.RestartServerAsync();
            }
            else
            {
                var victim = random.Next(agents.Count);
                var name = $"a{victim + 1}-{k}";
                await cluster.KillAgentAsync(agents[victim]);
                agentKills++;
                await Task.Delay(random.Next(100, 800));
                agents[victim] = await cluster.StartAgentAsync(name);
            }
        }
        await load;

        var pending = accepted.ToHashSet();
        var terminal = new Dictionary<string, JsonElement>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (pending.Count > 0 && DateTime.UtcNow < deadline)
        {
            var list = await http.GetFromJsonAsync<JsonElement>("api/v1/runs?limit=0");
            foreach (var run in list.GetProperty("runs").EnumerateArray())
            {
                var id = run.GetProperty("id").GetString()!;
                if (pending.Contains(id) && run.GetProperty("status").GetString() is "SUCCEEDED" or "FAILED" or "STOPPED" or "TIMED_OUT")
                {
                    pending.Remove(id);
                    terminal[id] = await http.GetFromJsonAsync<JsonElement>($"api/v1/runs/{id}");
                }
            }
            if (pending.Count > 0) await Task.Delay(500);
        }

        var byStatus = terminal.Values.GroupBy(r => r.GetProperty("status").GetString()).ToDictionary(g => g.Key!, g => g.Count());
        var requeued = terminal.Values.Count(r => r.GetProperty("attempt").GetInt32() > 1);
        var reExecuted = 0;
        foreach (var (id, run) in terminal)
        {
            // Attempts are numbered 1..n and every lost attempt is listed with why it ended; the last one is listed
            // too when it was itself lost (the run then failed as "agent lost").
            var attempt = run.GetProperty("attempt").GetInt32();
            var history = run.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("attempt").GetInt32()).ToList();
            var lastLost = run.TryGetProperty("reason", out var reason) && reason.GetString()!.Contains("agent lost");
            Assert.True(attempt >= 1, $"run {id} has attempt {attempt}");
            Assert.Equal(Enumerable.Range(1, lastLost ? attempt : attempt - 1), history);
            if (run.GetProperty("status").GetString() == "SUCCEEDED")
            {
                var logs = await http.GetFromJsonAsync<JsonElement>($"api/v1/runs/{id}/logs?from=0");
                var done = logs.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("text").GetString()).Where(t => t!.StartsWith("done-")).ToList();
                Assert.Contains($"done-{attempt}", done);
                if (done.Count > 1) reExecuted++;
            }
        }
        var metrics = await http.GetStringAsync("metrics");
        var staleNow = StaleTotal().Matches(metrics).Sum(m => double.Parse(m.Groups[1].Value));

        var report = $"seed {seed}: {accepted.Count} runs accepted ({refusedWhileDown} submissions refused or unanswered while the server was down), " +
            $"{serverKills} server kill -9s, {agentKills} agent kill -9s; lost {pending.Count}; terminal: " +
            string.Join(", ", byStatus.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")) +
            $"; requeued after a lost attempt {requeued}; executed again after a lost attempt {reExecuted}; " +
            $"stale writes refused by the last server incarnation {staleNow}";
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("HEARTH_CRASH_REPORT") is { Length: > 0 } file) await File.AppendAllTextAsync(file, report + "\n");

        Assert.Empty(pending);
        Assert.True(accepted.Count > runs / 3, $"too few runs were accepted to prove anything: {report}");
        Assert.True(serverKills + agentKills == kills);
    }

    [Fact]
    public async Task An_agent_frozen_past_its_lease_has_its_late_writes_refused()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms");
        var frozen = await cluster.StartAgentAsync("frozen");
        await using var cli = cluster.StartCli("run", "--max-attempts", "2", "--", "sh", "-c",
            "echo begin-$HEARTH_ATTEMPT; sleep 4; echo late-$HEARTH_ATTEMPT");
        await cli.WaitForAsync(o => o.Contains("begin-1"), TimeSpan.FromSeconds(30), "attempt 1 to start");
        var id = AdHocRunTests.RunId(cli.Stderr);

        frozen.Signal(19); // SIGSTOP: the agent stops renewing; its sandbox keeps running
        var other = await cluster.StartAgentAsync("other");
        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("late-2", cli.Stdout);

        frozen.Signal(18); // SIGCONT: its heartbeat, late lines and result must all be refused
        await frozen.WaitForAsync(o => o.Contains("stale") || o.Contains("lease lost"), TimeSpan.FromSeconds(30), "the thawed agent to learn its lease is stale");
        await Task.Delay(1500);

        var logs = await cluster.CliAsync("logs", id);
        Assert.DoesNotContain("late-1", logs.Stdout);
        Assert.Contains("late-2", logs.Stdout);
        var status = JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
        Assert.Equal("SUCCEEDED", status.GetProperty("status").GetString());
        Assert.Equal(2, status.GetProperty("attempt").GetInt32());
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(cluster.Url + "/metrics");
        Assert.True(StaleTotal().Matches(metrics).Sum(m => double.Parse(m.Groups[1].Value)) >= 1, metrics);
    }

    [Fact]
    public async Task A_draining_agent_finishes_its_task_takes_no_new_work_and_exits()
    {
        await using var cluster = await HearthCluster.StartAsync();
        var agent = await cluster.StartAgentAsync("draining");
        await using var running = cluster.StartCli("run", "--", "sh", "-c", "echo working; sleep 2; echo finished");
        await running.WaitForAsync(o => o.Contains("working"), TimeSpan.FromSeconds(30), "the run to start");

        agent.Signal(15);
        await agent.WaitForAsync(o => o.Contains("stopping"), TimeSpan.FromSeconds(10), "the agent to start draining");
        var queued = await cluster.CliAsync("run", "-d", "--", "echo", "after-drain");
        var queuedId = queued.Stdout.Trim();

        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("finished", running.Stdout);
        Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // The drained agent never took the new run: it waits, visibly, for an agent, and runs as attempt 1 on the next one.
        var waiting = JsonDocument.Parse((await cluster.CliAsync("status", queuedId, "-o", "json")).Stdout).RootElement;
        Assert.Equal("STARTING", waiting.GetProperty("status").GetString());
        await cluster.StartAgentAsync("next");
        var follow = await cluster.CliAsync("logs", "-f", queuedId);
        Assert.Equal("after-drain\n", follow.Stdout);
        var done = JsonDocument.Parse((await cluster.CliAsync("status", queuedId, "-o", "json")).Stdout).RootElement;
        Assert.Equal(1, done.GetProperty("attempt").GetInt32());
    }

    [GeneratedRegex(@"^hearth_stale_writes_refused_total\{[^}]*\} (\S+)$", RegexOptions.Multiline)]
    private static partial Regex StaleTotal();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
