using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Workflows run for real: a KDL file, a server, agents in two machine groups, steps routed by group.
/// </summary>
public abstract class WorkflowRunTests : IAsyncLifetime
{
    protected abstract StoreKind Store { get; }

    private HearthCluster _cluster = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await HearthCluster.StartAsync(store: Store);
        await _cluster.StartAgentAsync("builder", labels: "machine=build");
        await _cluster.StartAgentAsync("deployer", labels: "machine=deploy");
        _dir = Directory.CreateTempSubdirectory("hearth-e2e-wf-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<string> FileAsync(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        await File.WriteAllTextAsync(path, text);
        return path;
    }

    private async Task<JsonElement> StatusAsync(string id) =>
        JsonDocument.Parse((await _cluster.CliAsync("workflow", "status", id, "-o", "json")).Stdout).RootElement;

    private static JsonElement Step(JsonElement status, string id) =>
        status.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id);

    [Fact]
    public async Task Sequences_parallel_groups_conditions_and_machine_groups_run_as_written()
    {
        var file = await FileAsync(
            "ci.kdl",
            """
            version "0.1"
            triggers "push" "manual"
            chain {
                machine "build"
                fragment { run "echo one" }
                parallel {
                    fragment { run "sleep 1; echo two-a" }
                    fragment { run "echo two-b"; machine "deploy" }
                }
                fragment { run "echo deploying $BRANCH"; machine "deploy"; condition "$BRANCH == 'main'" }
                fragment { run "echo never"; condition "$BRANCH == 'release'" }
            }
            """
        );
        var result = await _cluster.CliAsync("workflow", "run", file, "--trigger", "push", "--branch", "main");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal("[0] one", lines[0]);
        Assert.Contains("[1.0] two-a", lines);
        Assert.Contains("[1.1] two-b", lines);
        Assert.Equal("[2] deploying main", lines[^1]);
        Assert.DoesNotContain("never", result.Stdout);

        var id = AdHocRunTests.RunId(result.Stderr);
        var status = await StatusAsync(id);
        Assert.Equal("SUCCEEDED", status.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal("SKIPPED", Step(status, "3").GetProperty("state").GetString());
        Assert.Contains("condition false", Step(status, "3").GetProperty("reason").GetString());
        Assert.Equal("SUCCEEDED", Step(status, "1").GetProperty("state").GetString());

        var agents = JsonDocument
            .Parse(
                await new HttpClient { DefaultRequestHeaders = { { "X-API-Key", _cluster.AdminKey } } }.GetStringAsync(
                    _cluster.Url + "/api/v1/agents"
                )
            )
            .RootElement.GetProperty("agents")
            .EnumerateArray()
            .ToDictionary(a => a.GetProperty("name").GetString()!, a => a.GetProperty("id").GetString());
        Assert.Equal(agents["builder"], Step(status, "0").GetProperty("agent_id").GetString());
        Assert.Equal(agents["builder"], Step(status, "1.0").GetProperty("agent_id").GetString());
        Assert.Equal(agents["deployer"], Step(status, "1.1").GetProperty("agent_id").GetString());
        Assert.Equal(agents["deployer"], Step(status, "2").GetProperty("agent_id").GetString());

        // Each step's log on its own, like a run's log.
        var step = await _cluster.CliAsync("logs", id, "--step", "1.0");
        Assert.Equal("two-a\n", step.Stdout);
        // A group's log is its steps' lines, prefixed; its row has a start and an end.
        var group = await _cluster.CliAsync("logs", id, "--step", "1");
        Assert.True(group.ExitCode == 0, group.Stderr);
        Assert.Equal(["[1.0] two-a", "[1.1] two-b"], group.Stdout.TrimEnd('\n').Split('\n').Order());
        Assert.True(Step(status, "1").TryGetProperty("started_at", out _), "group 1 has a start");
        Assert.True(Step(status, "1").TryGetProperty("ended_at", out _), "group 1 has an end");
        Assert.True(
            Step(status, "3").GetProperty("ended_at").GetDateTimeOffset()
                >= Step(status, "2").GetProperty("ended_at").GetDateTimeOffset(),
            "a step skipped by its condition ends after the steps before it"
        );
        var table = await _cluster.CliAsync("workflow", "status", id);
        Assert.Contains("SUCCEEDED", table.Stdout);
        Assert.Contains("condition false: $BRANCH == 'release'", table.Stdout);
    }

    [Fact]
    public async Task Parallel_steps_that_take_one_lock_run_one_after_the_other_with_rising_tokens()
    {
        var file = await FileAsync(
            "locked.kdl",
            """
            version "0.1"
            triggers "manual"
            chain {
                machine "build"
                parallel {
                    fragment { run "echo start=$(date +%s%N) token=$HEARTH_LOCK_TOKEN_WF_DEPLOY; sleep 1; echo end=$(date +%s%N)"; lock "wf-deploy" }
                    fragment { run "echo start=$(date +%s%N) token=$HEARTH_LOCK_TOKEN_WF_DEPLOY; sleep 1; echo end=$(date +%s%N)"; lock "wf-deploy" }
                }
            }
            """
        );
        var result = await _cluster.CliAsync("workflow", "run", file);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var holds = new[] { "0.0", "0.1" }
            .Select(step =>
            {
                var lines = result.Stdout.Split('\n').Where(l => l.StartsWith($"[{step}] ")).ToList();
                long Value(string key) =>
                    long.Parse(
                        lines.Select(l => l.Split(' ')).SelectMany(p => p).First(p => p.StartsWith(key + "="))[
                            (key.Length + 1)..
                        ]
                    );
                return (Start: Value("start"), End: Value("end"), Token: Value("token"));
            })
            .OrderBy(h => h.Start)
            .ToList();
        Assert.True(holds[0].End <= holds[1].Start, $"the holds overlap: {string.Join("; ", holds)}");
        Assert.True(holds[1].Token > holds[0].Token, $"tokens do not rise: {string.Join("; ", holds)}");
    }

    [Fact]
    public async Task A_failed_step_fails_the_chain_and_skips_the_rest()
    {
        var file = await FileAsync(
            "fail.kdl",
            """
            version "0.1"
            triggers "manual"
            chain {
                machine "build"
                fragment { run "echo first" }
                fragment { run "echo broken >&2; exit 3" }
                fragment { run "echo after" }
            }
            """
        );
        var result = await _cluster.CliAsync("workflow", "run", file);
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain("after", result.Stdout);
        Assert.Contains("[1] broken", result.Stderr);
        var status = await StatusAsync(AdHocRunTests.RunId(result.Stderr));
        Assert.Equal("FAILED", status.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(3, Step(status, "1").GetProperty("exit_code").GetInt32());
        Assert.Equal("SKIPPED", Step(status, "2").GetProperty("state").GetString());
        Assert.Contains("earlier step failed", Step(status, "2").GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_step_with_no_agent_in_its_group_waits_visibly_until_killed()
    {
        var file = await FileAsync(
            "gpu.kdl",
            """
            version "0.1"
            triggers "manual"
            chain {
                machine "gpu"
                fragment { run "echo train" }
            }
            """
        );
        var started = await _cluster.CliAsync("workflow", "run", "-d", file);
        Assert.Equal(0, started.ExitCode);
        var id = started.Stdout.Trim();
        await Task.Delay(1500);
        var status = await StatusAsync(id);
        Assert.Equal("STARTING", status.GetProperty("run").GetProperty("status").GetString());
        Assert.Equal(
            "waiting: no live agent has labels machine=gpu",
            Step(status, "0").GetProperty("reason").GetString()
        );

        Assert.Equal(0, (await _cluster.CliAsync("kill", id)).ExitCode);
        var killed = await StatusAsync(id);
        Assert.Equal("STOPPED", killed.GetProperty("run").GetProperty("status").GetString());
        Assert.Matches(
            "^stopped by .+; step 0 never started$",
            killed.GetProperty("run").GetProperty("reason").GetString()
        );
    }

    [Fact]
    public async Task Bad_files_and_triggers_are_refused_before_anything_runs()
    {
        var bad = await FileAsync(
            "bad.kdl",
            "version \"0.1\"\ntriggers \"push\"\nchain {\n    machine \"build\"\n    fragment { rn \"make\" }\n}\n"
        );
        var invalid = await _cluster.CliAsync("workflow", "run", bad, "--trigger", "push");
        Assert.Equal(1, invalid.ExitCode);
        Assert.Contains($"{bad}:5:", invalid.Stderr);

        var pushOnly = await FileAsync(
            "push.kdl",
            "version \"0.1\"\ntriggers \"push\"\nchain {\n    machine \"build\"\n    fragment { run \"true\" }\n}\n"
        );
        var manual = await _cluster.CliAsync("workflow", "run", pushOnly);
        Assert.Equal(2, manual.ExitCode);
        Assert.Contains("not 'manual'", manual.Stderr);
    }
}

public sealed class SqliteWorkflowRunTests : WorkflowRunTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class PostgresWorkflowRunTests : WorkflowRunTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
