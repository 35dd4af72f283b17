using System.Net.Http;
using System.Text.Json;
using Xunit.Abstractions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Durable hand-off under faults, on each store: kill -9 of the server and agents at seeded random moments under a
/// mixed load (<see cref="ChaosLoad"/>), agents frozen past their lease, agents drained. Every accepted run must reach
/// a terminal state, attempts must be numbered without gaps, and late writes from a superseded attempt must be refused.
/// </summary>
public abstract class CrashTests(ITestOutputHelper output)
{
    protected abstract StoreKind Store { get; }

    [Fact]
    public async Task Mixed_load_with_random_kill_9s_of_server_and_agents_loses_nothing()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms", store: Store);
        await ChaosLoad.RunAsync(cluster, output, agentsPerServer: 2);
    }

    [Fact]
    public async Task An_agent_frozen_past_its_lease_has_its_late_writes_refused()
    {
        // A lease long enough that only the freeze loses attempt 1: with 2 s, a loaded machine lost it before it began.
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "6s", heartbeat: "1s", store: Store);
        // One slot: a frozen agent with an idle long-poll in flight would be granted the retry and lose it too.
        var frozen = await cluster.StartAgentAsync("frozen", capacity: 1);
        // Attempt 1 ends only once its agent is frozen: the test opens the gate after the SIGSTOP, however slowly it
        // got there.
        using var gate = new Gate();
        await using var cli = cluster.StartCli(
            "run",
            "--driver",
            "process",
            "--max-attempts",
            "2",
            "--",
            "sh",
            "-c",
            $"echo begin-$HEARTH_ATTEMPT; {gate.Wait}; echo late-$HEARTH_ATTEMPT"
        );
        await cli.WaitForAsync(o => o.Contains("begin-1"), TimeSpan.FromSeconds(30), "attempt 1 to start");
        var id = AdHocRunTests.RunId(cli.Stderr);

        frozen.Signal(19); // SIGSTOP: the agent stops renewing; its sandbox keeps running and prints late-1
        gate.Open();
        var other = await cluster.StartAgentAsync("other");
        var code = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(
            code == 0,
            $"exit {code}; stderr: {cli.Stderr}; frozen agent: {frozen.Stderr}; other agent: {other.Stderr}"
        );
        Assert.Contains("late-2", cli.Stdout);

        frozen.Signal(18); // SIGCONT: its heartbeat, late lines and result must all be refused
        // The agent's last word on the task: after it, nothing of attempt 1 can reach the server any more.
        await frozen.WaitForAsync(
            o =>
                o.Contains("attempt 1: lease lost; result not reported")
                || o.Contains("result refused, the lease is stale"),
            TimeSpan.FromSeconds(30),
            "the thawed agent to give attempt 1 up"
        );

        var logs = await cluster.CliAsync("logs", id);
        Assert.DoesNotContain("late-1", logs.Stdout);
        Assert.Contains("late-2", logs.Stdout);
        var status = JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
        Assert.Equal("SUCCEEDED", status.GetProperty("status").GetString());
        Assert.Equal(2, status.GetProperty("attempt").GetInt32());
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(cluster.Url + "/metrics");
        Assert.True(ChaosLoad.StaleWritesRefused(metrics) >= 1, metrics);
    }

    [Fact]
    public async Task A_draining_agent_finishes_its_task_takes_no_new_work_and_exits()
    {
        await using var cluster = await HearthCluster.StartAsync(store: Store);
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

        // The drained agent never took the new run: it waits, visibly, for an agent, and runs as attempt 1 on the next
        // one.
        var waiting = JsonDocument.Parse((await cluster.CliAsync("status", queuedId, "-o", "json")).Stdout).RootElement;
        Assert.Equal("STARTING", waiting.GetProperty("status").GetString());
        await cluster.StartAgentAsync("next");
        var follow = await cluster.CliAsync("logs", "-f", queuedId);
        Assert.Equal("after-drain\n", follow.Stdout);
        var done = JsonDocument.Parse((await cluster.CliAsync("status", queuedId, "-o", "json")).Stdout).RootElement;
        Assert.Equal(1, done.GetProperty("attempt").GetInt32());
    }
}

public sealed class SqliteCrashTests(ITestOutputHelper output) : CrashTests(output)
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class PostgresCrashTests(ITestOutputHelper output) : CrashTests(output)
{
    protected override StoreKind Store => StoreKind.Postgres;
}
