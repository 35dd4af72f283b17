using System.Diagnostics;
using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Output that is too much at once (long lines, fast) must neither freeze a run nor the agent: chunks are capped by
/// bytes, long lines are split and marked, and a timeout or `hearth kill` ends the run while its logs are backed up.
/// </summary>
public sealed class OutputFloodTests(SqliteClusterFixture fixture) : IClassFixture<SqliteClusterFixture>
{
    /// <summary>Lines of 20,000 bytes, as fast as the pipe takes them (the reproduction).</summary>
    private const string WideLines = "yes \"$(head -c 20000 /dev/zero | tr '\\0' x)\"";

    /// <summary>
    /// 60 MB of them, then quiet: a backlog for the agent when the stop comes, not gigabytes for the store.
    /// </summary>
    private const string Flood = WideLines + " | head -n 3000; sleep 600";

    private HearthCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_thousand_lines_of_20_kB_are_all_shipped_and_the_timeout_still_ends_the_run()
    {
        var clock = Stopwatch.StartNew();
        var run = await Cluster.CliAsync([
            "run",
            "--timeout",
            "10s",
            "--",
            "sh",
            "-c",
            $"{WideLines} | head -n 1000; sleep 60",
        ]);

        Assert.True(run.ExitCode == 124, run.Stderr);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(40));
        var id = AdHocRunTests.RunId(run.Stderr);
        Assert.Equal("TIMED_OUT", (await StatusAsync(id)).GetProperty("status").GetString());
        var logs = await Cluster.CliAsync("logs", id);
        var lines = logs.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1000, lines.Count(l => l.Length == 20_000 && l.All(c => c == 'x')));
    }

    [Fact]
    public async Task A_line_longer_than_64_KiB_is_split_into_marked_pieces()
    {
        var run = await Cluster.CliAsync([
            "run",
            "--",
            "sh",
            "-c",
            "head -c 150000 /dev/zero | tr '\\0' y; echo; echo after",
        ]);

        Assert.True(run.ExitCode == 0, run.Stderr);
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal(new string('y', 65536) + " [continues]", lines[0]);
        Assert.Equal(new string('y', 65536) + " [continues]", lines[1]);
        Assert.Equal(new string('y', 150000 - 2 * 65536), lines[2]);
        Assert.Equal("after", lines[3]);
    }

    [Fact]
    public async Task Kill_stops_a_run_that_floods_its_log()
    {
        var started = await Cluster.CliAsync(["run", "-d", "--", "sh", "-c", Flood]);
        Assert.True(started.ExitCode == 0, started.Stderr);
        var id = started.Stdout.Trim();
        await WaitForAsync(id, s => s.GetProperty("status").GetString() == "RUNNING", "the run to start");

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, (await Cluster.CliAsync("kill", id)).ExitCode);
        var ended = await WaitForAsync(
            id,
            s => s.GetProperty("status").GetString() is not ("RUNNING" or "TERMINATING" or "STARTING"),
            "the run to end"
        );
        Assert.Equal("STOPPED", ended.GetProperty("status").GetString());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Hearth_dev_stops_on_sigterm_while_a_run_floods_its_log()
    {
        var work = Directory.CreateTempSubdirectory("hearth-flood-").FullName;
        var env = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(work, "config") };
        await using var dev = new RunningProcess(
            CliProcess.StartInfo(
                ["dev", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}", "--data", Path.Combine(work, "data")],
                env
            )
        );
        try
        {
            await dev.WaitForAsync(o => o.Contains("try: hearth run"), TimeSpan.FromSeconds(60), "hearth dev to start");
            var started = await CliProcess.RunAsync(["run", "-d", "--", "sh", "-c", Flood], env);
            Assert.True(started.ExitCode == 0, started.Stderr);
            var id = started.Stdout.Trim();
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (
                JsonDocument
                    .Parse((await CliProcess.RunAsync(["status", id, "-o", "json"], env)).Stdout)
                    .RootElement.GetProperty("status")
                    .GetString() != "RUNNING"
            )
            {
                if (DateTime.UtcNow > until)
                    throw new TimeoutException("the run did not start");
                await Task.Delay(200);
            }

            dev.Signal(15);
            Assert.Equal(0, await dev.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("hearth: stopped", dev.Stderr);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task<JsonElement> StatusAsync(string id) =>
        JsonDocument.Parse((await Cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;

    private async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> done, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var status = await StatusAsync(id);
            if (done(status))
                return status;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"timed out waiting for {what}: {status}");
            await Task.Delay(200);
        }
    }
}
