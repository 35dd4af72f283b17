using System.Diagnostics;
using Hearth.Sandbox;
using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Tests;

/// <summary>Limits through real cgroups (this host: v1 memory, pids, cpu, freezer).</summary>
public sealed class ResourceLimitTests : SandboxTestBase
{
    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Exceeding_the_memory_limit_is_reported_as_OOM(string name)
    {
        // tail holds the whole newline-free input in memory.
        var spec = Sh("head -c 200M /dev/zero | tail") with { Limits = new ResourceLimits(MemoryBytes: 32 << 20) };
        var output = new CollectingOutput();
        await using var sandbox = await Driver(name).StartAsync(spec, output, CancellationToken.None);
        var memory = Running(sandbox).Cgroup!.DirectoryOf("memory")!;
        Assert.Equal((32 << 20).ToString(), File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")).Trim());

        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.True(exit.OomKilled);
        Assert.NotEqual(0, exit.ExitCode);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Staying_under_the_memory_limit_is_not_OOM(string name)
    {
        var spec = Sh("head -c 4M /dev/zero | tail | wc -c") with
        {
            Limits = new ResourceLimits(MemoryBytes: 64 << 20),
        };

        var (exit, output) = await RunAsync(Driver(name), spec);

        Assert.Equal(new SandboxExit(0), exit);
        Assert.Equal("4194304", output.Stdout.Trim());
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task The_sandbox_starts_inside_its_cgroups_and_no_agent_thread_stays_there(string name)
    {
        // On v1 the spawner thread joins the sandbox's cgroups to spawn it, and counts against pids.max meanwhile.
        var spec = Sh("cat /proc/self/cgroup; echo ready; sleep 1000") with
        {
            Limits = new ResourceLimits(Pids: 7, MemoryBytes: 64 << 20),
        };
        var output = new CollectingOutput();
        await using var sandbox = await Driver(name).StartAsync(spec, output, CancellationToken.None);
        var cgroup = Running(sandbox).Cgroup!;
        await output.WaitForLineAsync("ready", Timeout);

        var pids = cgroup.DirectoryOf("pids")!;
        Assert.Equal("7", File.ReadAllText(Path.Combine(pids, "pids.max")).Trim());
        var agentThreads = Directory.GetDirectories("/proc/self/task").Select(Path.GetFileName).ToHashSet();
        foreach (var directory in cgroup.Directories)
        {
            var tasks = File.ReadAllLines(Path.Combine(directory, "tasks"));
            Assert.NotEmpty(tasks);
            Assert.DoesNotContain(tasks, agentThreads.Contains);
        }
        // The command saw itself in the sandbox's cgroups from its first instruction on (bubblewrap: at the root of its
        // own cgroup namespace, which starts at the cgroup it was in when bwrap unshared it).
        var seen = output
            .Of(OutputStream.Stdout)
            .TakeWhile(l => l != "ready")
            .Single(l => l.Contains(":pids:"))
            .Split(':', 3)[2];
        if (name == "process")
            Assert.EndsWith(seen, pids, StringComparison.Ordinal);
        else
            Assert.Equal("/", seen);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task The_pids_limit_caps_a_fork_bomb_and_stop_still_kills_it_all(string name)
    {
        var spec = Sh("echo planted; bomb() { bomb | bomb & }; bomb; sleep 1000") with
        {
            Limits = new ResourceLimits(Pids: 24),
        };
        var output = new CollectingOutput();
        await using var sandbox = await Driver(name).StartAsync(spec, output, CancellationToken.None);
        var cgroup = Running(sandbox).Cgroup!;
        var pids = cgroup.DirectoryOf("pids")!;
        await output.WaitForLineAsync("planted", Timeout);
        await Poll.UntilAsync(
            () => CgroupFiles.ReadKeyed(pids, "pids.events", "max") is > 0,
            Timeout,
            "a fork refused at pids.max"
        );

        Assert.True(int.Parse(File.ReadAllText(Path.Combine(pids, "pids.current"))) <= 24);
        await sandbox
            .StopAsync(StopSignal.Terminate, TimeSpan.FromMilliseconds(100), CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Empty(cgroup.Pids());
        Assert.Empty(ProcessGroupMembers(sandbox.Pid));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task A_cpu_quota_throttles_a_busy_loop(string name)
    {
        var spec = Sh("echo spinning; while :; do :; done") with { Limits = new ResourceLimits(Cpus: 0.1) };
        var output = new CollectingOutput();
        await using var sandbox = await Driver(name).StartAsync(spec, output, CancellationToken.None);
        var cpu = Running(sandbox).Cgroup!.DirectoryOf("cpu")!;
        Assert.Equal("10000", File.ReadAllText(Path.Combine(cpu, "cpu.cfs_quota_us")).Trim());
        Assert.Equal("100000", File.ReadAllText(Path.Combine(cpu, "cpu.cfs_period_us")).Trim());
        await output.WaitForLineAsync("spinning", Timeout);

        // The CPU the group's processes use over a window of wall time stays near the quota (a tenth). On a busy host
        // the loop may get less than its quota and never be throttled, so the bound is checked, not the throttle count.
        var wall = Stopwatch.StartNew();
        var before = CpuTicks(cpu);
        await Poll.UntilAsync(() => wall.Elapsed >= TimeSpan.FromSeconds(2), Timeout, "two seconds of wall time");
        var used = TimeSpan.FromSeconds((CpuTicks(cpu) - before) / 100.0);
        var window = wall.Elapsed;

        Assert.True(used > TimeSpan.Zero, "the loop ran");
        Assert.True(
            used < window * 0.1 * 1.5 + TimeSpan.FromMilliseconds(50),
            $"the loop used {used.TotalMilliseconds:0} ms of CPU in {window.TotalMilliseconds:0} ms"
        );
        await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
    }

    [Fact]
    public async Task Limits_without_cgroups_fail_to_start_and_say_why()
    {
        var driver = new ProcessDriver(
            new ProcessDriverOptions { Cgroups = new CgroupOptions { Mode = CgroupMode.Disabled } }
        );

        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(
                Spec("true") with
                {
                    Limits = new ResourceLimits(MemoryBytes: 1 << 30),
                },
                new CollectingOutput(),
                CancellationToken.None
            )
        );

        Assert.Contains("cgroups are unavailable", error.Message);
        Assert.Contains("disabled", error.Message);
        Assert.Empty(driver.Capabilities.Limits);
        Assert.Empty(Directory.EnumerateFileSystemEntries(ScratchRoot));
    }

    [Fact]
    public async Task A_missing_controller_fails_the_start_instead_of_running_unlimited()
    {
        // A mount root with no cgroup hierarchies under it.
        var driver = new BubblewrapDriver(
            new BubblewrapDriverOptions { Cgroups = new CgroupOptions { MountRoot = "/nonexistent" } }
        );

        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(
                Spec("true") with
                {
                    Limits = new ResourceLimits(Pids: 10),
                },
                new CollectingOutput(),
                CancellationToken.None
            )
        );

        Assert.Contains("cgroups are unavailable", error.Message);
        Assert.Equal("none", driver.Fingerprint().Attributes["cgroup"]);
    }

    [Fact]
    public async Task Without_cgroups_stop_still_reaches_the_process_group()
    {
        var driver = new ProcessDriver(
            new ProcessDriverOptions { Cgroups = new CgroupOptions { Mode = CgroupMode.Disabled } }
        );
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(
            Sh("trap '' TERM; sleep 1000 & sleep 1000 & echo ready; wait"),
            output,
            CancellationToken.None
        );
        await output.WaitForLineAsync("ready", Timeout);
        Assert.Null(Running(sandbox).Cgroup);
        Assert.Equal(3, ProcessGroupMembers(sandbox.Pid).Count);

        await sandbox
            .StopAsync(StopSignal.Terminate, TimeSpan.FromMilliseconds(100), CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Equal(137, (await sandbox.WaitAsync(CancellationToken.None)).ExitCode);
        Assert.Empty(ProcessGroupMembers(sandbox.Pid));
    }

    [Fact]
    public async Task Without_cgroups_bubblewrap_stops_its_tree_through_the_pid_namespace()
    {
        var driver = new BubblewrapDriver(
            new BubblewrapDriverOptions { Cgroups = new CgroupOptions { Mode = CgroupMode.Disabled } }
        );
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(
            Sh("trap 'exit 7' TERM; sleep 1000 & echo ready; wait"),
            output,
            CancellationToken.None
        );
        await output.WaitForLineAsync("ready", Timeout);

        await sandbox
            .StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(10), CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Equal(7, (await sandbox.WaitAsync(CancellationToken.None)).ExitCode);
        Assert.Empty(ProcessGroupMembers(sandbox.Pid));
        Assert.DoesNotContain(Hearth.Sandbox.Running.ProcTable.Snapshot(), e => e.ParentPid == sandbox.Pid);
    }

    /// <summary>User plus system time of the group's processes, in clock ticks (USER_HZ, 100 on Linux).</summary>
    private static long CpuTicks(string cgroup) =>
        CgroupFiles
            .ReadPids(cgroup)
            .Sum(pid =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    return long.Parse(fields[11]) + long.Parse(fields[12]);
                }
                catch (IOException)
                {
                    return 0L;
                }
            });
}
