using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// #25: workflow steps survive a lost agent. A parallel group runs on one agent of group "test", a second agent of the
/// group idles, and the first is killed with SIGKILL mid-step: its lease expires and the lifecycle requeues the steps.
/// </summary>
public sealed class WorkflowAgentLossTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-e2e-wf-loss-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> ParallelFileAsync(string chainAttempts)
    {
        var path = Path.Combine(_dir, "parallel.kdl");
        await File.WriteAllTextAsync(
            path,
            $$"""
            version "0.1"
            triggers "manual"
            chain {
                machine "test"
                {{chainAttempts}}
                fragment { run "echo built" }
                parallel {
                    fragment { run "echo up-a-$HEARTH_ATTEMPT; if test $HEARTH_ATTEMPT = 1; then sleep 600; fi; echo done-a" }
                    fragment { run "echo up-b-$HEARTH_ATTEMPT; if test $HEARTH_ATTEMPT = 1; then sleep 600; fi; echo done-b" }
                }
                fragment { run "echo deployed" }
            }
            """
        );
        return path;
    }

    private static async Task<Dictionary<string, string>> AgentIdsAsync(HearthCluster cluster) =>
        JsonDocument
            .Parse(
                await new HttpClient { DefaultRequestHeaders = { { "X-API-Key", cluster.AdminKey } } }.GetStringAsync(
                    cluster.Url + "/api/v1/agents"
                )
            )
            .RootElement.GetProperty("agents")
            .EnumerateArray()
            .ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("id").GetString()!);

    private static JsonElement Step(JsonElement status, string id) =>
        status.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id);

    /// <summary>
    /// Starts the workflow on agent "doomed" alone, waits until both parallel steps run there, adds agent "spare",
    /// kills "doomed".
    /// </summary>
    private static async Task<(RunningProcess Cli, Dictionary<string, string> Agents)> KillMidStepAsync(
        HearthCluster cluster,
        string file
    )
    {
        var doomed = await cluster.StartAgentAsync("doomed", labels: "machine=test", capacity: 2);
        var cli = cluster.StartCli("workflow", "run", file);
        await cli.WaitForAsync(
            o => o.Contains("up-a-1") && o.Contains("up-b-1"),
            TimeSpan.FromSeconds(60),
            "both parallel steps to run on one agent"
        );
        await cluster.StartAgentAsync("spare", labels: "machine=test", capacity: 2);
        var agents = await AgentIdsAsync(cluster);
        doomed.Signal(9);
        return (cli, agents);
    }

    [Fact]
    public async Task Steps_lost_with_their_agent_finish_on_the_other_agent_as_attempt_2_and_the_run_succeeds()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms");
        var (cli, agents) = await KillMidStepAsync(cluster, await ParallelFileAsync(""));
        await using var _ = cli;

        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(90)));
        Assert.Contains("[1.0] done-a", cli.Stdout);
        Assert.Contains("[1.1] done-b", cli.Stdout);
        Assert.Contains("[2] deployed", cli.Stdout);
        Assert.Contains(
            $"lost (agent {agents["doomed"]} stopped renewing its lease); queued as attempt 2 of 3",
            cli.Stderr
        );
        var status = JsonDocument
            .Parse((await cluster.CliAsync("workflow", "status", AdHocRunTests.RunId(cli.Stderr), "-o", "json")).Stdout)
            .RootElement;
        Assert.Equal("SUCCEEDED", status.GetProperty("run").GetProperty("status").GetString());
        foreach (var id in new[] { "1.0", "1.1" })
        {
            Assert.Equal(2, Step(status, id).GetProperty("attempt").GetInt32());
            Assert.Equal(agents["spare"], Step(status, id).GetProperty("agent_id").GetString());
        }
    }

    [Fact]
    public async Task With_one_attempt_in_the_file_the_run_fails_with_a_reason_naming_the_lost_agent()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms");
        var (cli, agents) = await KillMidStepAsync(cluster, await ParallelFileAsync("attempts 1"));
        await using var _ = cli;

        Assert.Equal(1, await cli.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.DoesNotContain("deployed", cli.Stdout);
        var status = JsonDocument
            .Parse((await cluster.CliAsync("workflow", "status", AdHocRunTests.RunId(cli.Stderr), "-o", "json")).Stdout)
            .RootElement;
        var run = status.GetProperty("run");
        Assert.Equal("FAILED", run.GetProperty("status").GetString());
        var reason = run.GetProperty("reason").GetString()!;
        Assert.Contains("step 1.0 failed (agent lost after 1 attempt(s)", reason);
        Assert.Contains($"on agent {agents["doomed"]}", reason);
        Assert.Equal("SKIPPED", Step(status, "2").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_relative_scratch_directory_is_refused_before_the_agent_registers()
    {
        var refused = await CliProcess.RunAsync(
            ["agent", "--server", "http://127.0.0.1:9", "--scratch", "scratch/x"],
            new Dictionary<string, string> { ["HEARTH_AGENT_TOKEN"] = "unused" }
        );

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--scratch 'scratch/x': expected an absolute path", refused.Stderr);
    }
}
