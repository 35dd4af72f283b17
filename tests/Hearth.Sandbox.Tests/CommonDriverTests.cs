using Hearth.Sandbox;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

/// <summary>Behaviour both host drivers must share.</summary>
public sealed class CommonDriverTests : SandboxTestBase
{
    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Exit_codes_propagate(string name)
    {
        var driver = Driver(name);
        Assert.Equal(new SandboxExit(0), (await RunAsync(driver, Spec("true"))).Exit);
        Assert.Equal(new SandboxExit(3), (await RunAsync(driver, Sh("exit 3"))).Exit);
        Assert.Equal(new SandboxExit(137, Signal: 9), (await RunAsync(driver, Sh("kill -9 $$"))).Exit);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Stdout_and_stderr_lines_arrive_in_order_and_tagged(string name)
    {
        var (exit, output) = await RunAsync(
            Driver(name),
            Sh(
                "i=1; while [ $i -le 500 ]; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); done; printf 'no newline'"
            )
        );

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(
            Enumerable.Range(1, 500).Select(i => $"out {i}").Append("no newline"),
            output.Of(OutputStream.Stdout)
        );
        Assert.Equal(Enumerable.Range(1, 500).Select(i => $"err {i}"), output.Of(OutputStream.Stderr));
        Assert.False(output.SawConcurrentCalls);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Signals_start_unblocked_and_at_their_defaults(string name)
    {
        // The .NET runtime ignores SIGPIPE and blocks signals on some threads; a sandbox must inherit neither.
        var (exit, output) = await RunAsync(
            Driver(name),
            Sh("grep -E '^(SigBlk|SigIgn)' /proc/self/status; yes | head -n 1")
        );

        Assert.Equal(0, exit.ExitCode);
        var lines = output.Of(OutputStream.Stdout);
        Assert.Equal(["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000", "y"], lines);
        Assert.Empty(output.Of(OutputStream.Stderr));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task A_command_that_exits_at_once_is_reaped_and_reported_every_time(string name)
    {
        var driver = Driver(name);
        var exits = await Task.WhenAll(
            Enumerable.Range(0, 20).Select(async i => (await RunAsync(driver, Sh($"exit {i}"))).Exit.ExitCode)
        );
        Assert.Equal(Enumerable.Range(0, 20), exits);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Environment_is_cleared_then_set_from_the_spec(string name)
    {
        Assert.NotNull(Environment.GetEnvironmentVariable("PATH"));
        var spec = Spec("env") with
        {
            Environment = new Dictionary<string, string> { ["FOO"] = "bar baz", ["HOME"] = "/elsewhere" },
        };

        var (exit, output) = await RunAsync(Driver(name), spec);

        Assert.Equal(0, exit.ExitCode);
        var variables = output.Of(OutputStream.Stdout).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        // A host process carries its ownership marks (the orphan reaper finds it by them); bwrap keeps them out of the
        // sandbox.
        Assert.Equal(
            name == "process"
                ? ["FOO", "HEARTH_SANDBOX", "HEARTH_SANDBOX_OWNER", "HOME", "PATH", "PWD"]
                : ["FOO", "HOME", "PATH", "PWD"],
            variables.Keys.Order(StringComparer.Ordinal)
        );
        Assert.Equal("bar baz", variables["FOO"]);
        Assert.Equal("/elsewhere", variables["HOME"]);
        Assert.Equal("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", variables["PATH"]);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Working_directory_is_a_fresh_scratch_dir_removed_on_dispose_with_its_cgroups(string name)
    {
        var output = new CollectingOutput();
        var sandbox = await Driver(name)
            .StartAsync(
                Sh("pwd; ls -A | wc -l; echo data > file; mkdir -p d/e; chmod 000 d; ls"),
                output,
                CancellationToken.None
            );
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        var scratch = Running(sandbox).ScratchDirectory;
        // bubblewrap without limits makes no cgroups: its pid namespace holds the tree.
        var cgroups = Running(sandbox).Cgroup?.Directories ?? [];

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(name == "process" ? scratch : "/sandbox", output.Of(OutputStream.Stdout)[0]);
        Assert.Equal("0", output.Of(OutputStream.Stdout)[1].Trim());
        Assert.True(Directory.Exists(scratch));
        if (name == "process")
            Assert.NotEmpty(cgroups);
        else
            Assert.Null(Running(sandbox).Cgroup);
        Assert.All(cgroups, d => Assert.True(Directory.Exists(d)));

        await sandbox.DisposeAsync();
        await sandbox.DisposeAsync();

        Assert.False(Directory.Exists(scratch));
        Assert.All(cgroups, d => Assert.False(Directory.Exists(d)));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Stop_terminates_the_whole_tree_within_the_grace_period(string name)
    {
        var output = new CollectingOutput();
        await using var sandbox = await Driver(name)
            .StartAsync(
                Sh(
                    "trap 'echo parent got TERM; wait; exit 143' TERM; (trap 'echo child got TERM; exit 0' TERM; echo child ready; while :; do sleep 0.05; done) & echo ready; wait; wait"
                ),
                output,
                CancellationToken.None
            );
        await output.WaitForLineAsync("child ready", Timeout);
        await output.WaitForLineAsync("ready", Timeout);
        var tree = Tree(sandbox);
        Assert.True(tree.Count >= 2, $"expected the shell and its child, found {tree.Count}");

        await sandbox
            .StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(10), CancellationToken.None)
            .WaitAsync(Timeout);
        var exit = await sandbox.WaitAsync(CancellationToken.None);

        Assert.Equal(143, exit.ExitCode);
        Assert.Contains("parent got TERM", output.Of(OutputStream.Stdout));
        Assert.Contains("child got TERM", output.Of(OutputStream.Stdout));
        Assert.Empty(Running(sandbox).Cgroup?.Pids() ?? []);
        Assert.Empty(Alive(tree));
        Assert.Empty(ProcessGroupMembers(sandbox.Pid));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task A_tree_that_ignores_TERM_is_killed_after_the_grace_period(string name)
    {
        var output = new CollectingOutput();
        await using var sandbox = await Driver(name)
            .StartAsync(Sh("trap '' TERM; sleep 1000 & sleep 1000 & echo ready; wait"), output, CancellationToken.None);
        await output.WaitForLineAsync("ready", Timeout);
        var tree = Tree(sandbox);
        Assert.True(tree.Count >= 3, $"expected the shell and two sleeps, found {tree.Count}");

        var started = DateTime.UtcNow;
        await sandbox
            .StopAsync(StopSignal.Terminate, TimeSpan.FromMilliseconds(300), CancellationToken.None)
            .WaitAsync(Timeout);
        var exit = await sandbox.WaitAsync(CancellationToken.None);

        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(290));
        Assert.Equal(new SandboxExit(137, 9), exit);
        Assert.Empty(Running(sandbox).Cgroup?.Pids() ?? []);
        Assert.Empty(Alive(tree));
        Assert.Empty(ProcessGroupMembers(sandbox.Pid));
        // Idempotent after exit.
        await sandbox.StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(1), CancellationToken.None);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Background_processes_do_not_outlive_the_command(string name)
    {
        var output = new CollectingOutput();
        var marker = Random.Shared.Next(100_000, 999_999);
        await using var sandbox = await Driver(name)
            .StartAsync(Sh($"sleep {marker} & echo started"), output, CancellationToken.None);

        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(["started"], output.Of(OutputStream.Stdout));
        Assert.Empty(Running(sandbox).Cgroup?.Pids() ?? []);
        Assert.Empty(
            Alive(ProcTable.Snapshot().Select(e => e.Pid).Where(pid => CommandLine(pid) == $"sleep {marker}"))
        );
    }

    [Fact]
    public async Task A_daemon_that_leaves_the_process_group_is_still_found_through_the_cgroup()
    {
        var output = new CollectingOutput();
        await using var sandbox = await Driver("process")
            .StartAsync(
                Sh("setsid sh -c 'trap \"\" TERM; echo $$; exec sleep 1000' & sleep 1000"),
                output,
                CancellationToken.None
            );
        var deadline = DateTime.UtcNow + Timeout;
        while (output.Of(OutputStream.Stdout).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }
        var daemon = int.Parse(output.Of(OutputStream.Stdout)[0]);
        Assert.DoesNotContain(daemon, ProcessGroupMembers(sandbox.Pid));
        Assert.Contains(daemon, Running(sandbox).Cgroup!.Pids());

        await sandbox
            .StopAsync(StopSignal.Terminate, TimeSpan.FromMilliseconds(200), CancellationToken.None)
            .WaitAsync(Timeout);

        Assert.Empty(Running(sandbox).Cgroup!.Pids());
        Assert.Null(Hearth.Sandbox.Running.ProcTable.TryRead(daemon)); // gone or a zombie awaiting its reaper
    }

    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task Bad_specs_fail_to_start_with_a_reason(string name)
    {
        var driver = Driver(name);
        var empty = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(Spec(), new CollectingOutput(), CancellationToken.None)
        );
        Assert.Contains("empty", empty.Message);
        var badId = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(Spec("true") with { SandboxId = "../x" }, new CollectingOutput(), CancellationToken.None)
        );
        Assert.Contains("sandbox id", badId.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(ScratchRoot));
    }

    [Fact]
    public async Task Process_driver_reports_a_missing_command_at_start()
    {
        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            Driver("process").StartAsync(Spec("no-such-command-hearth"), new CollectingOutput(), CancellationToken.None)
        );
        Assert.Contains("command not found", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(ScratchRoot));
    }

    [Fact]
    public async Task Bubblewrap_reports_a_missing_command_as_exit_127_or_1()
    {
        var (exit, output) = await RunAsync(Driver("bubblewrap"), Spec("no-such-command-hearth"));
        Assert.NotEqual(0, exit.ExitCode);
        Assert.Contains("no-such-command-hearth", output.Stderr);
    }

    [Fact]
    public async Task A_failing_output_sink_surfaces_from_WaitAsync_without_blocking_the_command()
    {
        await using var sandbox = await Driver("process")
            .StartAsync(
                Sh("head -c 2000000 /dev/zero | tr '\\0' 'x' | fold -w 100; echo done >&2"),
                new FailingOutput(),
                CancellationToken.None
            );

        var error = await Assert.ThrowsAsync<IOException>(() =>
            sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout)
        );

        Assert.Contains("sink broke", error.Message);
    }

    [Fact]
    public async Task A_cancelled_start_leaves_nothing_behind()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            Driver("bubblewrap").StartAsync(Spec("true"), new CollectingOutput(), cancelled.Token)
        );

        Assert.Empty(Directory.EnumerateFileSystemEntries(ScratchRoot));
    }

    [Fact]
    public async Task A_slow_sink_that_keeps_taking_lines_gets_every_line_however_long_past_the_drain_timeout()
    {
        // The command exits at once; its 1,000 lines take the sink about two seconds, eight drain timeouts.
        var driver = new ProcessDriver(
            new ProcessDriverOptions
            {
                Cgroups = new CgroupOptions { Mode = CgroupMode.Disabled },
                Launcher = new LauncherOptions { OutputDrainTimeout = TimeSpan.FromMilliseconds(250) },
            }
        );
        var output = new SlowOutput(TimeSpan.FromMilliseconds(2));
        await using var sandbox = await driver.StartAsync(Sh("seq 1 1000"), output, CancellationToken.None);

        var exit = await sandbox.WaitAsync(CancellationToken.None);

        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => i.ToString()), output.Lines);
    }

    /// <summary>A sink behind something slow: it takes each line, after a pause.</summary>
    private sealed class SlowOutput(TimeSpan pause) : ISandboxOutput
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                    return [.. _lines];
            }
        }

        public async ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken)
        {
            await Task.Delay(pause, cancellationToken);
            lock (_lines)
                _lines.Add(line);
        }
    }

    private sealed class FailingOutput : ISandboxOutput
    {
        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("sink broke");
    }
}
