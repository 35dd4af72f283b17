using System.Diagnostics;
using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>Ad-hoc runs through real processes: CLI → server → store → agent → sandbox → logs and exit code.</summary>
public abstract class AdHocRunTests(ClusterFixture fixture)
{
    private HearthCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Exit_code_and_streams_propagate()
    {
        var result = await Cluster.CliAsync("run", "--", "sh", "-c", "echo to-out; echo to-err >&2; exit 7");
        Assert.Equal(7, result.ExitCode);
        Assert.Equal("to-out\n", result.Stdout);
        Assert.Contains("to-err", result.Stderr);
        Assert.Matches(@"hearth: run [0-9a-f]{12}", result.Stderr);

        var ok = await Cluster.CliAsync("run", "--", "true");
        Assert.Equal(0, ok.ExitCode);
    }

    [Fact]
    public async Task Logs_are_numbered_in_order_and_resume_from_an_offset()
    {
        var run = await Cluster.CliAsync(
            "run",
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done"
        );
        Assert.Equal(0, run.ExitCode);
        var expected = Enumerable.Range(0, 3000).Select(i => $"line-{i}").ToArray();
        Assert.Equal(expected, run.Stdout.TrimEnd('\n').Split('\n'));

        var id = RunId(run.Stderr);
        var all = await Cluster.CliAsync("logs", id);
        Assert.Equal(expected, all.Stdout.TrimEnd('\n').Split('\n'));

        var tail = await Cluster.CliAsync("logs", id, "--from", "2990");
        Assert.Equal(expected[2990..], tail.Stdout.TrimEnd('\n').Split('\n'));

        var json = await Cluster.CliAsync("logs", id, "--from", "10", "--output", "json");
        var first = JsonDocument.Parse(json.Stdout.Split('\n')[0]).RootElement;
        Assert.Equal(10, first.GetProperty("seq").GetInt64());
        Assert.Equal("line-10", first.GetProperty("text").GetString());
        Assert.Equal("STDOUT", first.GetProperty("stream").GetString());
    }

    [Fact]
    public async Task A_log_of_several_pages_is_printed_whole_in_order_each_line_on_its_stream()
    {
        // 25,000 lines: three pages of the server's 10,000; every thousandth on stderr; quotes and non-ASCII escaped in
        // JSON.
        var run = await Cluster.CliAsync(
            "run",
            "-d",
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 25000 ]; do if [ $((i % 1000)) = 999 ]; then printf 'err-%d \"q\" ü\n' $i >&2; "
                + "else printf 'out-%d \"q\" ü\n' $i; fi; i=$((i+1)); done"
        );
        var id = run.Stdout.Trim();
        Assert.Equal(0, (await Cluster.CliAsync("logs", "-f", id)).ExitCode);

        var logs = await Cluster.CliAsync("logs", id);

        Assert.Equal(0, logs.ExitCode);
        var outs = Enumerable.Range(0, 25000).Where(i => i % 1000 != 999).Select(i => $"out-{i} \"q\" ü");
        var errs = Enumerable.Range(0, 25000).Where(i => i % 1000 == 999).Select(i => $"err-{i} \"q\" ü");
        Assert.Equal(outs, logs.Stdout.TrimEnd('\n').Split('\n'));
        Assert.Equal(errs, logs.Stderr.Split('\n').Where(l => l.StartsWith("err-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Lines_arrive_live_before_the_run_ends()
    {
        var marker = Guid.NewGuid().ToString("N");
        // The run prints its second line only when the test says so (process driver: it sees the gate file).
        using var gate = new Gate();
        await using var cli = Cluster.StartCli(
            "run",
            "--driver",
            "process",
            "--",
            "sh",
            "-c",
            $"echo first-{marker}; {gate.Wait}; echo second-{marker}"
        );
        await cli.WaitForAsync(o => o.Contains($"first-{marker}"), TimeSpan.FromSeconds(20), "the first line");
        Assert.DoesNotContain($"second-{marker}", cli.Stdout);
        Assert.False(cli.Process.HasExited);
        gate.Open();
        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"second-{marker}", cli.Stdout);

        // A follower attached later still gets the whole backlog, then the end.
        var id = RunId(cli.Stderr);
        var follow = await Cluster.CliAsync("logs", "-f", id);
        Assert.Equal($"first-{marker}\nsecond-{marker}\n", follow.Stdout);
    }

    [Fact]
    public async Task Kill_stops_the_whole_tree_and_the_follower_exits_130()
    {
        var marker = Random.Shared.Next(100_000, 999_999);
        await using var cli = Cluster.StartCli(
            "run",
            "--",
            "sh",
            "-c",
            $"trap '' TERM; sleep {marker} & sleep {marker} & echo ready; wait"
        );
        await cli.WaitForAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the run to start");
        var id = RunId(cli.Stderr);
        Assert.Equal(2, CountProcesses($"sleep {marker}"));

        var kill = await Cluster.CliAsync("kill", id);
        Assert.Equal(0, kill.ExitCode);
        Assert.Equal(130, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, CountProcesses($"sleep {marker}"));

        var again = await Cluster.CliAsync("kill", id);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("STOPPED", again.Stdout);
        var status = await Cluster.CliAsync("status", id, "-o", "json");
        var run = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal("STOPPED", run.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Timeout_is_enforced_by_the_server()
    {
        var sw = Stopwatch.StartNew();
        var result = await Cluster.CliAsync("run", "--timeout", "1s", "--", "sh", "-c", "echo started; sleep 60");
        Assert.Equal(124, result.ExitCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"took {sw.Elapsed}");
        var status = await Cluster.CliAsync("status", RunId(result.Stderr), "--output", "json");
        var run = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal("TIMED_OUT", run.GetProperty("status").GetString());
        Assert.Contains("timed out after 1s", run.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Bubblewrap_hides_host_files_that_the_process_driver_sees()
    {
        var secret = Path.Combine("/root", $"hearth-e2e-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(secret, "host secret");
        try
        {
            var sandboxed = await Cluster.CliAsync("run", "--driver", "bubblewrap", "--", "cat", secret);
            Assert.NotEqual(0, sandboxed.ExitCode);
            Assert.DoesNotContain("host secret", sandboxed.Stdout);

            var plain = await Cluster.CliAsync("run", "--driver", "process", "--", "cat", secret);
            Assert.Equal(0, plain.ExitCode);
            Assert.Equal("host secret\n", plain.Stdout);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task Environment_is_cleared_and_set()
    {
        var result = await Cluster.CliAsync(
            "run",
            "--env",
            "GREETING=hello world",
            "--",
            "sh",
            "-c",
            "echo \"$GREETING\"; echo \"home=${HEARTH_E2E_LEAK:-unset}\""
        );
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hello world\nhome=unset\n", result.Stdout);
    }

    [Fact]
    public async Task Memory_limit_kills_with_oom_in_the_status()
    {
        var result = await Cluster.CliAsync(
            "run",
            "--memory",
            "32M",
            "--",
            "sh",
            "-c",
            "head -c 400M /dev/zero | tail > /dev/null"
        );
        Assert.NotEqual(0, result.ExitCode);
        var status = await Cluster.CliAsync("status", RunId(result.Stderr), "-o", "json");
        var run = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal("FAILED", run.GetProperty("status").GetString());
        Assert.Contains("OOM", run.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Pids_limit_caps_a_fork_bomb()
    {
        var result = await Cluster.CliAsync(
            "run",
            "--pids",
            "16",
            "--timeout",
            "20s",
            "--",
            "sh",
            "-c",
            "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo spawned; wait"
        );
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("fork", result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("spawned", result.Stdout);
    }

    [Fact]
    public async Task Bad_input_is_refused_before_anything_is_created()
    {
        var before = await Cluster.CliAsync("list", "--limit", "0", "-o", "json");
        var count = JsonDocument.Parse(before.Stdout).RootElement.GetProperty("runs").GetArrayLength();

        var empty = await Cluster.CliAsync("run");
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("no command given", empty.Stderr);
        var typo = await Cluster.CliAsync("run", "--retry-max-attempts", "2", "--", "true");
        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("'--retry-max-attempts': not an option of hearth run", typo.Stderr);
        var duration = await Cluster.CliAsync("run", "--timeout", "ten", "--", "true");
        Assert.Equal(2, duration.ExitCode);
        Assert.Contains("--timeout 'ten'", duration.Stderr);
        var env = await Cluster.CliAsync("run", "--env", "NOEQUALS", "--", "true");
        Assert.Equal(2, env.ExitCode);
        Assert.Contains("--env 'NOEQUALS'", env.Stderr);
        var driver = await Cluster.CliAsync("run", "--driver", "nope", "--", "true");
        // Driver names are data now (what agents advertise), so the server refuses it: this role may not ask for it.
        Assert.Equal(1, driver.ExitCode);
        Assert.Contains("DRIVER_FORBIDDEN", driver.Stderr);

        var after = await Cluster.CliAsync("list", "--limit", "0", "-o", "json");
        Assert.Equal(count, JsonDocument.Parse(after.Stdout).RootElement.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_run_and_unreachable_server_give_one_line_errors()
    {
        var missing = await Cluster.CliAsync("status", "doesnotexist");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("hearth: no run with id 'doesnotexist'\n", missing.Stderr);

        var env = new Dictionary<string, string>(Cluster.ClientEnv) { ["HEARTH_SERVER"] = "http://127.0.0.1:1" };
        var unreachable = await CliProcess.RunAsync(["list"], env);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("cannot reach the Hearth server at http://127.0.0.1:1", unreachable.Stderr);
        Assert.Single(unreachable.Stderr.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task A_flag_the_parser_refuses_gets_one_line_that_names_it_and_exit_code_2()
    {
        var badNumber = await Cluster.CliAsync("run", "--pids", "abc", "--", "true");
        var unknown = await Cluster.CliAsync("list", "--nope");

        Assert.Equal(2, badNumber.ExitCode);
        Assert.Equal(
            "hearth: --pids: expected a whole number, got 'abc'\nSee 'hearth run --help'.\n",
            badNumber.Stderr
        );
        Assert.Equal(2, unknown.ExitCode);
        Assert.StartsWith("hearth: Unrecognized command or argument '--nope'.", unknown.Stderr);
        Assert.DoesNotContain("Usage:", unknown.Stderr + unknown.Stdout);
    }

    [Fact]
    public async Task An_agent_whose_token_the_server_refuses_exits_1_with_one_line()
    {
        var refused = await CliProcess.RunAsync(
            ["agent", "--name", "refused", "--drivers", "bubblewrap"],
            new Dictionary<string, string>(Cluster.ClientEnv) { ["HEARTH_AGENT_TOKEN"] = "ha_not-a-token" }
        );

        Assert.Equal(1, refused.ExitCode);
        Assert.Matches(@"^hearth: the server at \S+ refused this agent's token \(401: [^\n]+\)\n$", refused.Stderr);
    }

    [Fact]
    public async Task List_filters_by_status_and_prints_json()
    {
        var failed = await Cluster.CliAsync("run", "--", "false");
        var id = RunId(failed.Stderr);
        var list = await Cluster.CliAsync("list", "--status", "FAILED", "-o", "json");
        var runs = JsonDocument.Parse(list.Stdout).RootElement.GetProperty("runs").EnumerateArray().ToList();
        Assert.Contains(runs, r => r.GetProperty("id").GetString() == id);
        Assert.All(runs, r => Assert.Equal("FAILED", r.GetProperty("status").GetString()));

        var bad = await Cluster.CliAsync("list", "--status", "NOPE");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("'NOPE' is not a run status", bad.Stderr);
    }

    [Fact]
    public void Server_and_agents_watch_no_files()
    {
        // An inotify watch per directory under the working directory (appsettings reload) cost CPU on every file write
        // there.
        foreach (var pid in Cluster.Agents.Select(a => a.Process.Id).Prepend(Cluster.Server.Process.Id))
        {
            var watches = Directory
                .EnumerateFiles($"/proc/{pid}/fdinfo")
                .Sum(f =>
                {
                    try
                    {
                        return File.ReadLines(f).Count(l => l.StartsWith("inotify wd", StringComparison.Ordinal));
                    }
                    catch (IOException)
                    {
                        return 0;
                    }
                });
            Assert.Equal(0, watches);
        }
    }

    internal static string RunId(string stderr) =>
        System.Text.RegularExpressions.Regex.Match(stderr, @"hearth: run ([0-9a-f]{12})").Groups[1].Value
            is { Length: 12 } id
            ? id
            : throw new InvalidOperationException($"no run id in: {stderr}");

    internal static int CountProcesses(string commandLine) =>
        Directory
            .EnumerateDirectories("/proc")
            .Count(dir =>
            {
                try
                {
                    var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
                    return cmd == commandLine;
                }
                catch (IOException)
                {
                    return false;
                }
                catch (UnauthorizedAccessException)
                {
                    return false;
                }
            });
}

public sealed class SqliteAdHocRunTests(SqliteClusterFixture fixture)
    : AdHocRunTests(fixture),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresAdHocRunTests(PostgresClusterFixture fixture)
    : AdHocRunTests(fixture),
        IClassFixture<PostgresClusterFixture>;
