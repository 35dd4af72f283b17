using System.Text.Json;
using Xunit.Abstractions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Two `hearth server` processes on one PostgreSQL database, agents on either: runs submitted to either server run
/// anywhere, and when the server holding the leader lock is kill -9'ed the other takes over rescue and timeouts.
/// </summary>
public sealed class MultiServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task When_the_leader_is_killed_the_other_server_takes_over_rescue_and_timeouts()
    {
        await using var cluster = await HearthCluster.StartAsync(
            leaseTtl: "2s",
            heartbeat: "500ms",
            store: StoreKind.Postgres
        );
        // Server 0 is alone, so it takes the lock; server 1, started next, stays a follower while server 0 lives.
        await LeaderProbe.WaitForLeaderAsync(cluster, l => l == 0, TimeSpan.FromSeconds(20), "server 0 to lead");
        await cluster.AddServerAsync();
        var onLeader = await cluster.StartAgentAsync("on-leader", labels: "via=leader", server: 0);
        await cluster.StartAgentAsync("on-follower", labels: "via=follower", server: 1);
        Assert.Equal(0, await LeaderProbe.LeaderAsync(cluster));

        // Submitted to either server, run by an agent of either.
        var crossA = await cluster.CliOnAsync(0, "run", "--labels", "via=follower", "--", "echo", "from-0");
        Assert.Equal((0, "from-0\n"), (crossA.ExitCode, crossA.Stdout));
        var crossB = await cluster.CliOnAsync(1, "run", "--labels", "via=leader", "--", "echo", "from-1");
        Assert.Equal((0, "from-1\n"), (crossB.ExitCode, crossB.Stdout));

        // A run on the leader's agent (submitted through the follower), and a run with a timeout on the follower's
        // agent.
        await using var doomed = cluster.StartCliOn(
            1,
            "run",
            "--labels",
            "via=leader",
            "--max-attempts",
            "1",
            "--",
            "sh",
            "-c",
            "echo up; sleep 600"
        );
        await doomed.WaitForAsync(o => o.Contains("up"), TimeSpan.FromSeconds(30), "the doomed run to start");
        var doomedId = AdHocRunTests.RunId(doomed.Stderr);
        var timed = await cluster.CliOnAsync(
            0,
            "run",
            "-d",
            "--labels",
            "via=follower",
            "--timeout",
            "6s",
            "--",
            "sh",
            "-c",
            "echo up; sleep 600"
        );
        var timedId = timed.Stdout.Trim();
        await WaitForStatusAsync(cluster, 1, timedId, "RUNNING", TimeSpan.FromSeconds(30));

        var killedAt = DateTime.UtcNow;
        await cluster.KillServerAsync(0);
        await cluster.KillAgentAsync(onLeader);

        var takeover = await LeaderProbe.WaitForLeaderAsync(
            cluster,
            l => l == 1,
            TimeSpan.FromSeconds(30),
            "server 1 to take the lock"
        );
        var tookOver = DateTime.UtcNow - killedAt;
        var lost = await WaitForStatusAsync(cluster, 1, doomedId, "FAILED", TimeSpan.FromSeconds(30));
        var rescued = DateTime.UtcNow - killedAt;
        Assert.Contains("agent lost", lost.GetProperty("reason").GetString());
        var timedOut = await WaitForStatusAsync(cluster, 1, timedId, "TIMED_OUT", TimeSpan.FromSeconds(30));
        Assert.Contains("timed out after 6s", timedOut.GetProperty("reason").GetString());
        Assert.Equal(125, await doomed.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        // All of it while server 0 was down, and the follower still serves new work.
        Assert.False(cluster.Servers[0].IsUp);
        var after = await cluster.CliOnAsync(1, "run", "--", "echo", "after");
        Assert.Equal((0, "after\n"), (after.ExitCode, after.Stdout));
        Assert.Equal(1, takeover);
        output.WriteLine(
            $"leader kill -9: server 1 held the lock after {tookOver.TotalSeconds:F1}s, the lost run failed after {rescued.TotalSeconds:F1}s"
        );

        // The killed server comes back as a follower.
        await cluster.RestartServerAsync(0);
        Assert.Equal(0, (await cluster.CliOnAsync(0, "status", doomedId)).ExitCode);
        Assert.Equal(1, await LeaderProbe.LeaderAsync(cluster));
    }

    [Fact]
    public async Task Mixed_load_with_random_kill_9s_of_either_server_and_agents_loses_nothing()
    {
        await using var cluster = await HearthCluster.StartAsync(
            leaseTtl: "2s",
            heartbeat: "500ms",
            store: StoreKind.Postgres
        );
        await cluster.AddServerAsync();
        await ChaosLoad.RunAsync(cluster, output, agentsPerServer: 1);
    }

    private static async Task<JsonElement> WaitForStatusAsync(
        HearthCluster cluster,
        int server,
        string id,
        string status,
        TimeSpan timeout
    )
    {
        var until = DateTime.UtcNow + timeout;
        JsonElement run = default;
        while (DateTime.UtcNow < until)
        {
            var result = await cluster.CliOnAsync(server, "status", id, "-o", "json");
            if (result.ExitCode == 0)
            {
                run = JsonDocument.Parse(result.Stdout).RootElement;
                if (run.GetProperty("status").GetString() == status)
                    return run;
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"run {id} did not become {status}: {run}");
    }
}
