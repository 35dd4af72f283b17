using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The agent's orphan reaper over real processes: a process-driver attempt whose agent was killed -9 keeps running
/// (PPID 1); the agent started again on the same scratch directory kills it before it leases the next attempt.
/// </summary>
public sealed class OrphanReaperTests
{
    [Fact]
    public async Task After_kill_9_of_an_agent_its_restart_kills_attempt_1_before_attempt_2_starts_and_reap_then_finds_nothing()
    {
        // A lease long enough that only the kill loses attempt 1: a loaded machine lost a 2 s one before it began.
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "6s", heartbeat: "1s");
        var agent = await cluster.StartAgentAsync("restarted", drivers: "process");
        var work = Directory.CreateDirectory(Path.Combine(cluster.DataDir, "work")).FullName;
        // Attempt 1 loops until killed. Attempt 2, as it starts, looks in /proc for attempt 1 (by its pid and its
        // environment, so a reused pid does not count) and writes what it saw; then it ends.
        var script = $$"""
            cd {{work}}
            echo $$ > pid-$HEARTH_ATTEMPT
            if [ "$HEARTH_ATTEMPT" = 2 ]; then
              if tr '\0' '\n' < /proc/$(cat pid-1)/environ 2>/dev/null | grep -qx HEARTH_ATTEMPT=1; then echo alive > attempt-1; else echo gone > attempt-1; fi
            fi
            echo started-$HEARTH_ATTEMPT
            n=0
            while [ "$HEARTH_ATTEMPT" = 1 ] || [ $n -lt 3 ]; do echo $HEARTH_ATTEMPT >> out; n=$((n+1)); sleep 0.2; done
            """;
        await using var cli = cluster.StartCli(
            "run",
            "--driver",
            "process",
            "--max-attempts",
            "2",
            "--",
            "sh",
            "-c",
            script
        );
        await cli.WaitForAsync(o => o.Contains("started-1"), TimeSpan.FromSeconds(30), "attempt 1 to start");
        var first = int.Parse(File.ReadAllText(Path.Combine(work, "pid-1")).Trim());

        agent.Signal(9);
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(10));
        // Orphaned, not killed with its agent: the process driver has no pid namespace to take it down.
        Assert.True(IsAttempt1(first), "attempt 1 died with its agent: nothing left to reap");
        Assert.NotEqual(agent.Process.Id, ParentOf(first));

        var restarted = await cluster.StartAgentAsync("restarted", drivers: "process");
        var code = await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(code == 0, $"exit {code}: {cli.Stdout}{cli.Stderr}");
        Assert.Contains("started-2", cli.Stdout);
        Assert.Equal("gone", File.ReadAllText(Path.Combine(work, "attempt-1")).Trim());
        Assert.False(IsAttempt1(first), "attempt 1 still runs");
        // Killed by the restarted agent before attempt 2 (checked by attempt 2 itself above): the journal names the
        // sandbox, so it is destroyed as one that cannot be recovered rather than reaped as an orphan.

        // While the agent runs, reaping by hand is refused (it cannot know what the agent's tasks own).
        var scratch = Path.Combine(cluster.DataDir, "scratch-restarted");
        var refused = await cluster.CliAsync(
            "agent",
            "reap",
            "--dry-run",
            "--scratch",
            scratch,
            "--images",
            cluster.ImageStore
        );
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is running on", refused.Stderr);

        // Stopped the normal way, the agent leaves nothing behind for the reaper.
        restarted.Signal(15);
        Assert.Equal(0, await restarted.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var reap = await cluster.CliAsync(
            "agent",
            "reap",
            "--dry-run",
            "--scratch",
            scratch,
            "--images",
            cluster.ImageStore,
            "-o",
            "json"
        );
        Assert.True(reap.ExitCode == 0, $"exit {reap.ExitCode}: {reap.Stdout} {reap.Stderr}");
        var report = JsonDocument.Parse(reap.Stdout).RootElement;
        Assert.Equal(0, report.GetProperty("resources").GetArrayLength());
        Assert.True(report.GetProperty("dry_run").GetBoolean());
    }

    [Fact]
    public async Task Reap_by_hand_lists_then_removes_what_a_killed_agent_left()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "30s", heartbeat: "1s");
        var agent = await cluster.StartAgentAsync("killed", drivers: "process");
        var marker = Random.Shared.Next(100_000, 999_999);
        await using var cli = cluster.StartCli(
            "run",
            "--driver",
            "process",
            "--",
            "sh",
            "-c",
            $"echo up; exec sleep {marker}"
        );
        await cli.WaitForAsync(o => o.Contains("up"), TimeSpan.FromSeconds(30), "the run to start");
        agent.Signal(9);
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var scratch = Path.Combine(cluster.DataDir, "scratch-killed");

        var dry = await cluster.CliAsync(
            "agent",
            "reap",
            "--dry-run",
            "--scratch",
            scratch,
            "--images",
            cluster.ImageStore,
            "-o",
            "json"
        );
        Assert.True(dry.ExitCode == 3, $"exit {dry.ExitCode}: {dry.Stdout} {dry.Stderr}");
        var found = JsonDocument.Parse(dry.Stdout).RootElement.GetProperty("resources").EnumerateArray().ToList();
        Assert.Contains(found, r =>
            r.GetProperty("kind").GetString() == "process" && r.GetProperty("outcome").GetString() == "found"
        );
        Assert.Contains(found, r => r.GetProperty("kind").GetString() == "directory");
        Assert.Equal(1, AdHocRunTests.CountProcesses($"sleep {marker}"));

        var reap = await cluster.CliAsync("agent", "reap", "--scratch", scratch, "--images", cluster.ImageStore);
        Assert.True(reap.ExitCode == 0, $"exit {reap.ExitCode}: {reap.Stdout} {reap.Stderr}");
        Assert.Contains("removed", reap.Stdout);
        Assert.Equal(0, AdHocRunTests.CountProcesses($"sleep {marker}"));
        var again = await cluster.CliAsync(
            "agent",
            "reap",
            "--dry-run",
            "--scratch",
            scratch,
            "--images",
            cluster.ImageStore
        );
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("", again.Stdout);
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="pid"/> is still attempt 1's shell (not a zombie, not a reused pid).</summary>
    private static bool IsAttempt1(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains("HEARTH_ATTEMPT=1");
        }
        catch (IOException)
        {
            return false;
        }
    }
}
