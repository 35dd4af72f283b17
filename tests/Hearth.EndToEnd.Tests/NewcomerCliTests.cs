using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>What a newcomer tripped on (issue 15): exit codes, closing lines and what status and list show.</summary>
public abstract class NewcomerCliTests(ClusterFixture fixture)
{
    private HearthCluster Cluster => fixture.Cluster;

    [Theory]
    [InlineData("lock name", new[] { "run", "--lock", "bad name!", "--", "true" }, "lock")]
    [InlineData("status", new[] { "list", "--status", "BOGUS" }, "'BOGUS' is not a run status")]
    [InlineData("limit", new[] { "list", "--limit", "-1" }, "--limit -1: must be 0 (all) or more")]
    [InlineData("memory", new[] { "run", "--memory", "1", "--", "true" }, "--memory '1': must be at least 4M")]
    [InlineData(
        "timeout",
        new[] { "run", "--timeout", "99999999h", "--", "true" },
        "--timeout '99999999h': expected a duration above zero and at most 30d"
    )]
    [InlineData("output", new[] { "list", "-o", "yaml" }, "--output: expected text or json, got 'yaml'")]
    public async Task Bad_usage_exits_2_with_one_line_saying_what_is_wrong(string what, string[] args, string expected)
    {
        var result = await Cluster.CliAsync(args);

        Assert.True(result.ExitCode == 2, $"{what}: exit {result.ExitCode}, stderr: {result.Stderr}");
        Assert.Contains(expected, result.Stderr);
        Assert.StartsWith("hearth: ", result.Stderr);
        Assert.DoesNotContain("System.", result.Stderr);
    }

    [Fact]
    public async Task A_too_long_timeout_is_refused_by_the_server_too()
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("X-API-Key", Cluster.AdminKey);
        var response = await http.PostAsync(
            $"{Cluster.Url}/api/v1/runs",
            new StringContent(
                """{"command":["true"],"timeout_seconds":1e12}""",
                System.Text.Encoding.UTF8,
                "application/json"
            )
        );
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(
            "timeout_seconds: must be a number of seconds above 0 and at most 2592000 (30 days)",
            await response.Content.ReadAsStringAsync()
        );
    }

    [Fact]
    public async Task A_mistyped_command_gets_did_you_mean_and_exit_2()
    {
        var result = await Cluster.CliAsync("stauts", "abc");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "hearth: 'stauts' is not a command of hearth\nDid you mean 'status'?\nSee 'hearth --help'.\n",
            result.Stderr
        );
    }

    [Fact]
    public async Task A_mistyped_option_of_hearth_itself_gets_did_you_mean_and_nothing_else()
    {
        var result = await Cluster.CliAsync("--verison");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(
            "hearth: Unrecognized command or argument '--verison'.\nDid you mean '--version'?\nSee 'hearth --help'.\n",
            result.Stderr
        );
    }

    [Fact]
    public async Task Logs_follow_ends_with_the_runs_closing_line_and_exit_code()
    {
        var failed = await Cluster.CliAsync("run", "-d", "--", "sh", "-c", "echo out; exit 3");
        var failedId = failed.Stdout.Trim();
        var follow = await Cluster.CliAsync("logs", "-f", failedId);
        Assert.Equal(3, follow.ExitCode);
        Assert.Equal("out\n", follow.Stdout);
        Assert.Contains($"hearth: run {failedId} FAILED", follow.Stderr);

        var timedOut = await Cluster.CliAsync("run", "-d", "--timeout", "1s", "--", "sleep", "60");
        var slow = await Cluster.CliAsync("logs", "-f", timedOut.Stdout.Trim());
        Assert.Equal(124, slow.ExitCode);
        Assert.Contains($"hearth: run {timedOut.Stdout.Trim()} TIMED_OUT", slow.Stderr);

        var long_ = await Cluster.CliAsync("run", "-d", "--", "sh", "-c", "echo ready; sleep 60");
        var id = long_.Stdout.Trim();
        await using var follower = Cluster.StartCli("logs", "-f", id);
        await follower.WaitForAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the run to start");
        Assert.Equal(0, (await Cluster.CliAsync("kill", id)).ExitCode);
        Assert.Equal(130, await follower.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"hearth: run {id} STOPPED", follower.Stderr);

        var ok = await Cluster.CliAsync("run", "-d", "--", "true");
        var quiet = await Cluster.CliAsync("logs", "-f", ok.Stdout.Trim());
        Assert.Equal(0, quiet.ExitCode);
        Assert.Equal("", quiet.Stderr);

        // A normal kill or timeout is no lost lease: the agent kills nothing as "stale" and the server refuses no
        // write.
        Assert.DoesNotContain("stale", Cluster.Agents[0].Stderr + Cluster.Agents[0].Stdout);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(Cluster.Url + "/metrics");
        Assert.True(
            ChaosLoad.StaleWritesRefused(metrics) == 0,
            string.Join('\n', metrics.Split('\n').Where(l => l.Contains("stale", StringComparison.Ordinal)))
                + Cluster.Agents[0].Stderr
        );
    }

    [Fact]
    public async Task Status_and_list_show_driver_limits_agent_and_the_same_attempt()
    {
        var run = await Cluster.CliAsync(
            "run",
            "--driver",
            "bubblewrap",
            "--cpus",
            "0.5",
            "--memory",
            "64M",
            "--pids",
            "50",
            "--timeout",
            "1m",
            "--",
            "true"
        );
        Assert.Equal(0, run.ExitCode);
        var id = AdHocRunTests.RunId(run.Stderr);

        var status = (await Cluster.CliAsync("status", id)).Stdout;
        Assert.Contains("DRIVER     bubblewrap\n", status);
        Assert.Contains("LIMITS     cpus 0.5, memory 64M, pids 50, timeout 1m\n", status);
        Assert.Matches(@"\nAGENT      [^\s-]\S*\n", status);
        // A run that names no attempts gets the server's retries.lost_agent_attempts (3): a lost agent is not its
        // failure.
        Assert.Contains("ATTEMPT    1 of 3\n", status);

        var listed = JsonDocument
            .Parse((await Cluster.CliAsync("list", "-o", "json")).Stdout)
            .RootElement.GetProperty("runs")
            .EnumerateArray()
            .Single(r => r.GetProperty("id").GetString() == id);
        var shown = JsonDocument.Parse((await Cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
        foreach (var field in new[] { "attempt", "max_attempts", "agent_id", "driver", "cpus", "memory_bytes", "pids" })
            Assert.Equal(shown.GetProperty(field).GetRawText(), listed.GetProperty(field).GetRawText());
        Assert.Equal(1, listed.GetProperty("attempt").GetInt32());
        var agent = listed.GetProperty("agent_id").GetString()!;
        Assert.Contains($"AGENT      {agent}\n", status);
        Assert.Equal(64L << 20, listed.GetProperty("memory_bytes").GetInt64());

        var table = (await Cluster.CliAsync("list")).Stdout.Split('\n');
        Assert.Contains("ATTEMPT", table[0]);
        var row = table.Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Matches(
            @"\s1 of 3\s+bubblewrap\s+-\s+cpus 0\.5, memory 64M, pids 50, timeout 1m\s+"
                + System.Text.RegularExpressions.Regex.Escape(agent)
                + @"\s+true$",
            row
        );
    }

    [Fact]
    public async Task Every_json_output_is_an_object_with_snake_case_keys_and_named_lists()
    {
        var dir = Directory.CreateTempSubdirectory("hearth-json-").FullName;
        try
        {
            var workflow = Path.Combine(dir, "ci.kdl");
            await File.WriteAllTextAsync(
                workflow,
                "version \"0.1\"\ntriggers \"manual\"\nchain {\n  machine \"build\"\n  fragment { run \"echo one\" }\n}\n"
            );
            var compose = Path.Combine(dir, "compose.yaml");
            await File.WriteAllTextAsync(compose, "services:\n  web:\n    image: alpine\n");
            Directory.CreateDirectory(Path.Combine(dir, ".hearth"));
            await File.WriteAllTextAsync(
                Path.Combine(dir, ".hearth", "hello.yaml"),
                "description: says hello\ncommands:\n  - echo hello\n"
            );
            var run = await Cluster.CliAsync("run", "-d", "-o", "json", "--", "true");
            var id = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("id").GetString()!;
            await Cluster.CliAsync("logs", "-f", id);

            string[][] commands =
            [
                ["list"],
                ["status", id],
                ["kill", id],
                ["agents"],
                ["locks", "list"],
                ["users", "list"],
                ["secrets", "list"],
                ["audit"],
                ["images", "list", "--store", Path.Combine(dir, "images")],
                ["images", "registered"],
                ["workflow", "inspect", workflow],
                ["playbook", "list"],
                ["playbook", "show", "hello"],
                ["schedules", "list"],
            ];
            foreach (var args in commands)
            {
                var result = await CliProcess.RunAsync(
                    new ProcessStartInfoArgs([.. args, "-o", "json"], dir, Cluster.ClientEnv).Info
                );
                Assert.True(result.ExitCode == 0, $"hearth {string.Join(' ', args)}: {result.Stderr}");
                var root = JsonDocument.Parse(result.Stdout).RootElement;
                Assert.True(
                    root.ValueKind == JsonValueKind.Object,
                    $"hearth {string.Join(' ', args)} -o json: top level is {root.ValueKind}"
                );
                CheckKeys(root, $"hearth {string.Join(' ', args)}");
            }

            // compose config prints the compose model (as docker compose config --format json): an object, not YAML.
            var config = await CliProcess.RunAsync(
                new ProcessStartInfoArgs(
                    ["compose", "config", "-f", compose, "-o", "json"],
                    dir,
                    Cluster.ClientEnv
                ).Info
            );
            Assert.Equal(0, config.ExitCode);
            Assert.Equal(
                "alpine",
                JsonDocument
                    .Parse(config.Stdout)
                    .RootElement.GetProperty("services")
                    .GetProperty("web")
                    .GetProperty("image")
                    .GetString()
            );
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Keys snake_case all the way down; a list is the value of a named key, never the document or a list's item.
    /// </summary>
    private static void CheckKeys(JsonElement element, string where)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    // Maps whose keys are the user's data (environment variables, labels) keep them as given.
                    if (property.Name is "env" or "labels" or "requirements")
                        continue;
                    Assert.True(
                        System.Text.RegularExpressions.Regex.IsMatch(property.Name, "^[a-z][a-z0-9]*(_[a-z0-9]+)*$"),
                        $"{where}: key '{property.Name}' is not snake_case"
                    );
                    CheckKeys(property.Value, $"{where}.{property.Name}");
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Assert.True(item.ValueKind != JsonValueKind.Array, $"{where}: a list directly inside a list");
                    CheckKeys(item, where + "[]");
                }
                break;
        }
    }

    private sealed record ProcessStartInfoArgs(
        string[] Args,
        string WorkingDirectory,
        IReadOnlyDictionary<string, string> Env
    )
    {
        public System.Diagnostics.ProcessStartInfo Info
        {
            get
            {
                var info = CliProcess.StartInfo(Args, Env);
                info.WorkingDirectory = WorkingDirectory;
                return info;
            }
        }
    }
}

public sealed class SqliteNewcomerCliTests(SqliteClusterFixture fixture)
    : NewcomerCliTests(fixture),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresNewcomerCliTests(PostgresClusterFixture fixture)
    : NewcomerCliTests(fixture),
        IClassFixture<PostgresClusterFixture>;
