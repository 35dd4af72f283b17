using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>Agents that die under a run, each test with its own cluster, on each store.</summary>
public abstract class AgentLossTests
{
    protected abstract StoreKind Store { get; }

    [Fact]
    public async Task A_run_whose_agent_is_killed_fails_as_agent_lost_instead_of_hanging()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms", store: Store);
        var agent = await cluster.StartAgentAsync("doomed");
        var marker = Random.Shared.Next(100_000, 999_999);
        await using var cli = cluster.StartCli(
            "run",
            "--max-attempts",
            "1",
            "--",
            "sh",
            "-c",
            $"echo up; sleep {marker}"
        );
        await cli.WaitForAsync(o => o.Contains("up"), TimeSpan.FromSeconds(30), "the run to start");
        agent.Signal(9);

        Assert.Equal(125, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var status = await cluster.CliAsync("status", AdHocRunTests.RunId(cli.Stderr), "-o", "json");
        var run = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal("FAILED", run.GetProperty("status").GetString());
        Assert.Contains("agent lost", run.GetProperty("reason").GetString());
        // The sandbox outlives its agent (to be recovered); the agent started again finds its lease gone and destroys
        // it.
        Assert.True(AdHocRunTests.CountProcesses($"sleep {marker}") > 0, "the sandbox outlived its agent");
        await cluster.StartAgentAsync("doomed");
        await FaultTests.WaitUntilAsync(
            () => AdHocRunTests.CountProcesses($"sleep {marker}") == 0,
            "the orphaned sandbox to die"
        );
    }

    [Fact]
    public async Task A_lost_attempt_is_requeued_when_attempts_remain_and_runs_on_another_agent()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms", store: Store);
        var first = await cluster.StartAgentAsync("first");
        var marker = Random.Shared.Next(100_000, 999_999);
        await using var cli = cluster.StartCli(
            "run",
            "--max-attempts",
            "2",
            "--",
            "sh",
            "-c",
            $"echo attempt; sleep 2; echo done-{marker}"
        );
        await cli.WaitForAsync(o => o.Contains("attempt"), TimeSpan.FromSeconds(30), "the first attempt to start");
        first.Signal(9);
        await cluster.StartAgentAsync("second");

        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains($"done-{marker}", cli.Stdout);
        Assert.Contains("queued as attempt 2 of 2", cli.Stderr);
        var status = await cluster.CliAsync("status", AdHocRunTests.RunId(cli.Stderr), "-o", "json");
        var run = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal(2, run.GetProperty("attempt").GetInt32());
        Assert.Single(run.GetProperty("attempts").EnumerateArray());
    }

    [Fact]
    public async Task A_frozen_agent_s_idle_poll_does_not_take_back_the_task_its_lost_lease_requeued()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms", store: Store);
        var frozen = await cluster.StartAgentAsync("frozen", capacity: 3);
        var detached = await cluster.CliAsync(
            "run",
            "-d",
            "--driver",
            "process",
            "--max-attempts",
            "2",
            "--",
            "sh",
            "-c",
            "if [ \"$HEARTH_ATTEMPT\" = 1 ]; then sleep 60; fi; echo attempt-$HEARTH_ATTEMPT"
        );
        var id = detached.Stdout.Trim();
        await WaitForStatusAsync(cluster, id, "RUNNING");
        // Its two idle slots keep polls open on the server while it is stopped; the healthy agent polls after them.
        frozen.Signal(19);
        await cluster.StartAgentAsync("healthy");

        var run = await WaitForStatusAsync(cluster, id, "SUCCEEDED");
        frozen.Signal(18);
        Assert.Equal(2, run.GetProperty("attempt").GetInt32());
        Assert.Contains("attempt-2", (await cluster.CliAsync("logs", id)).Stdout);
    }

    private static async Task<JsonElement> WaitForStatusAsync(HearthCluster cluster, string id, string status)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (true)
        {
            var run = JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
            if (run.GetProperty("status").GetString() == status)
                return run;
            Assert.True(
                DateTime.UtcNow < until,
                $"run {id} is {run.GetProperty("status").GetString()}, not {status}: {run}"
            );
            await Task.Delay(200);
        }
    }
}

public sealed class SqliteAgentLossTests : AgentLossTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class PostgresAgentLossTests : AgentLossTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
