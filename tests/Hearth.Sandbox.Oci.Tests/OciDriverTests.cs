using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

[Collection(RegistryCollection.Name)]
public class OciDriverTests(RegistryFixture fixture)
{
    protected static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The user namespace every driver of this class runs containers in (a subclass runs them all in one).
    /// </summary>
    protected virtual IdMapping? UserNamespace => null;

    protected RegistryFixture Fixture => fixture;

    [Fact]
    public void Fingerprint_reports_runc()
    {
        var (driver, _) = NewDriver();
        var fingerprint = driver.Fingerprint();
        Assert.True(fingerprint.Healthy, fingerprint.Reason);
        Assert.Equal("runc", fingerprint.Attributes["driver.oci.runtime"]);
        Assert.Equal("bridge", fingerprint.Attributes["driver.oci.network"]);
        Assert.Equal("oci", driver.Name);
        Assert.True(driver.Capabilities.RunsImages);
    }

    [Fact]
    public async Task Echo_hi_prints_hi()
    {
        var (exit, output) = await RunAsync(fixture.BusyboxRef, ["echo", "hi"]);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(["hi"], output.Stdout);
    }

    [Fact]
    public async Task Exit_codes_and_stderr_come_through()
    {
        var (exit, output) = await RunAsync(fixture.BusyboxRef, ["sh", "-c", "echo oops >&2; exit 3"]);
        Assert.Equal(3, exit.ExitCode);
        Assert.Null(exit.Signal);
        Assert.Equal("oops", output.Stderr);
    }

    [Fact]
    public async Task Image_entrypoint_cmd_env_user_and_workdir_are_used()
    {
        var config = new JsonObject
        {
            ["Entrypoint"] = new JsonArray("/bin/sh", "-c"),
            ["Cmd"] = new JsonArray("echo $GREETING $EXTRA; id -u; id -g; pwd"),
            ["Env"] = new JsonArray("GREETING=from-image", "EXTRA=image"),
            ["User"] = "app:staff",
            ["WorkingDir"] = "/tmp",
        };
        await fixture.Pusher.PushImageAsync("test/configured", "1", [TarBuilder.Busybox().Build()], config);
        var reference = $"{fixture.Registry.Host}/test/configured:1";

        var (exit, output) = await RunAsync(reference, [], new Dictionary<string, string> { ["EXTRA"] = "request" });
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(["from-image request", "1000", "50", "/tmp"], output.Stdout);

        // A request's command replaces Cmd and keeps the Entrypoint.
        var (_, overridden) = await RunAsync(reference, ["echo replaced"]);
        Assert.Equal(["replaced"], overridden.Stdout);

        // The umoci image's Cmd runs when no command is given.
        var (_, umoci) = await RunAsync(fixture.UmociRef, []);
        Assert.Equal(["from-umoci"], umoci.Stdout);
    }

    [Theory]
    [InlineData("/proc", null)]
    [InlineData("/sys/kernel", null)]
    [InlineData("relative", null)]
    [InlineData("/a/../../etc", null)]
    [InlineData("/", "ghost")]
    [InlineData("/", "root:nogroup-here")]
    [InlineData("/", "bad name!")]
    public async Task Hostile_or_broken_image_config_is_refused(string workingDir, string? user)
    {
        var config = new JsonObject { ["Cmd"] = new JsonArray("true"), ["WorkingDir"] = workingDir };
        if (user is not null)
            config["User"] = user;
        var tag = Guid.NewGuid().ToString("N")[..12];
        await fixture.Pusher.PushImageAsync("test/hostile-config", tag, [TarBuilder.Busybox().Build()], config);
        await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync($"{fixture.Registry.Host}/test/hostile-config:{tag}", [])
        );
    }

    [Fact]
    public async Task A_missing_program_fails_to_start()
    {
        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync(fixture.BusyboxRef, ["/no/such/program"])
        );
        Assert.Contains("no/such/program", error.Message);
    }

    [Fact]
    public async Task Host_files_are_not_visible_and_the_network_is_none()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"hearth-host-marker-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(marker, "host secret");
        try
        {
            var (exit, output) = await RunAsync(
                fixture.BusyboxRef,
                [
                    "sh",
                    "-c",
                    $"test -e {marker} && echo visible; test -e /usr/bin/dotnet && echo dotnet; ls /; cat /proc/net/dev | tail -n +3 | cut -d: -f1",
                ]
            );
            Assert.Equal(0, exit.ExitCode);
            var lines = output.Stdout.Select(l => l.Trim()).ToList();
            Assert.DoesNotContain("visible", lines);
            Assert.DoesNotContain("dotnet", lines);
            Assert.DoesNotContain("work", lines);
            Assert.Equal(
                ["lo"],
                lines
                    .Where(l =>
                        l is "lo"
                        || l.StartsWith("eth", StringComparison.Ordinal)
                        || l.StartsWith("en", StringComparison.Ordinal)
                    )
                    .ToArray()
            );
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Capabilities_are_dropped_and_no_new_privileges_is_set()
    {
        var (_, output) = await RunAsync(
            fixture.BusyboxRef,
            ["sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status"]
        );
        var status = output.Stdout.Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.Equal("1", status["NoNewPrivs"]);
        Assert.Equal("2", status["Seccomp"]);
        var bounding = Convert.ToUInt64(status["CapBnd"], 16);
        const int sysAdmin = 21,
            netRaw = 13,
            sysModule = 16;
        Assert.Equal(0UL, bounding & ((1UL << sysAdmin) | (1UL << netRaw) | (1UL << sysModule)));
    }

    [Fact]
    public async Task The_seccomp_filter_refuses_a_new_namespace_that_the_same_container_may_make_without_it()
    {
        // A user namespace needs no capability, so only the filter stands in the way: unshare(2) fails with EPERM.
        string[] command = ["busybox", "unshare", "-U", "echo", "made"];
        var (refused, refusedOutput) = await RunAsync(fixture.BusyboxRef, command);
        Assert.Equal(1, refused.ExitCode);
        Assert.Empty(refusedOutput.Stdout);
        Assert.Contains("Operation not permitted", refusedOutput.Stderr);

        var unfiltered = NewDriver(
            new OciDriverOptions
            {
                StateRoot = fixture.NewDirectory("hearth-runc-state"),
                UserNamespace = UserNamespace,
                Seccomp = false,
            }
        ).Driver;
        var (made, madeOutput) = await RunAsync(fixture.BusyboxRef, command, driver: unfiltered);
        Assert.True(made.ExitCode == 0, madeOutput.Stderr);
        Assert.Equal(["made"], madeOutput.Stdout);
    }

    [Fact]
    public async Task A_workspace_directory_is_bound_as_the_working_directory_written_through_and_kept()
    {
        // Under a private parent, as an agent's scratch root may be: a container's root in a user namespace cannot walk
        // it.
        var parent = Fixture.NewDirectory("hearth-oci-workspace");
        File.SetUnixFileMode(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var workspace = Path.Combine(parent, "ws");
        Directory.CreateDirectory(Path.Combine(workspace, "src"));
        await File.WriteAllTextAsync(Path.Combine(workspace, "src", "checked-out.txt"), "from the host\n");
        var (driver, _) = NewDriver();
        var output = new CollectingOutput();
        var id = NewId();
        var spec = Spec(
            id,
            Fixture.BusyboxRef,
            ["sh", "-c", "pwd; cat src/checked-out.txt; echo built > src/out.txt && mkdir -p dist && echo ok"]
        ) with
        {
            WorkspaceDirectory = workspace,
        };
        await using (var sandbox = await driver.StartAsync(spec, output, CancellationToken.None))
        {
            var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.True(exit.ExitCode == 0, output.Stderr);
        }

        Assert.Equal(["/workspace", "from the host", "ok"], output.Stdout);
        // Written through to the host, and kept after the sandbox is gone (it belongs to the task, not the sandbox).
        Assert.Equal("built\n", await File.ReadAllTextAsync(Path.Combine(workspace, "src", "out.txt")));
        Assert.True(Directory.Exists(Path.Combine(workspace, "dist")));
        var owner = UserNamespace is { } ids ? $"{ids.HostIdBase}:{ids.HostIdBase}" : "0:0";
        Assert.Equal(owner, await Tools.OwnerAsync(Path.Combine(workspace, "src", "checked-out.txt")));
        Assert.Equal(owner, await Tools.OwnerAsync(Path.Combine(workspace, "dist")));
        Assert.DoesNotContain(await File.ReadAllLinesAsync("/proc/self/mountinfo"), line =>
            line.Contains(id, StringComparison.Ordinal)
        );
    }

    [Fact]
    public async Task Each_run_gets_its_own_writable_layer_and_the_image_stays_unchanged()
    {
        var (driver, store) = NewDriver();
        var (first, _) = await RunAsync(
            fixture.BusyboxRef,
            ["sh", "-c", "echo changed > /etc/passwd && touch /bin/new-file"],
            driver: driver
        );
        Assert.Equal(0, first.ExitCode);
        var (_, second) = await RunAsync(
            fixture.BusyboxRef,
            ["sh", "-c", "test -e /bin/new-file && echo leaked; head -n 1 /etc/passwd"],
            driver: driver
        );
        Assert.Equal(["root:x:0:0:root:/root:/bin/sh"], second.Stdout);
        var image = await store.FindAsync(fixture.BusyboxRef, UserNamespace, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(image!.RootfsPath, "bin/busybox")));
        Assert.False(File.Exists(Path.Combine(image.RootfsPath, "bin/new-file")));
    }

    [Fact]
    public async Task A_fork_bomb_is_capped_at_its_pids_limit()
    {
        var limits = new ResourceLimits(Pids: 24);
        var (driver, _) = NewDriver();
        var output = new CollectingOutput();
        var id = NewId();
        await using var sandbox = await driver.StartAsync(
            Spec(id, fixture.BusyboxRef, ["sh", "-c", "bomb() { bomb | bomb & }; bomb; exec sleep 1000"], limits),
            output,
            CancellationToken.None
        );
        var cgroup = $"/sys/fs/cgroup/pids/hearth/{id}";
        // pid 1 never forks again (exec), so it outlives the bomb until it is killed: wait until the limit refused a
        // fork.
        await Poll.UntilAsync(
            () =>
                File.Exists(Path.Combine(cgroup, "pids.events"))
                && File.ReadAllText(Path.Combine(cgroup, "pids.events")).Trim() is not ("max 0" or ""),
            Timeout,
            "a fork refused at pids.max"
        );
        var current = int.Parse(await File.ReadAllTextAsync(Path.Combine(cgroup, "pids.current")));
        Assert.InRange(current, 1, 24);
        Assert.Equal("24", (await File.ReadAllTextAsync(Path.Combine(cgroup, "pids.max"))).Trim());

        await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(9, exit.Signal);
        Assert.Contains("can't fork", output.Stderr);
    }

    [Fact]
    public async Task A_memory_hog_is_oom_killed_and_reported()
    {
        var (exit, _) = await RunAsync(
            fixture.BusyboxRef,
            ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"],
            limits: new ResourceLimits(MemoryBytes: 64L * 1024 * 1024)
        );
        Assert.True(exit.OomKilled);
        Assert.Equal(137, exit.ExitCode);
        Assert.Equal(9, exit.Signal);

        var (fits, _) = await RunAsync(
            fixture.BusyboxRef,
            ["dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"],
            limits: new ResourceLimits(MemoryBytes: 64L * 1024 * 1024, Cpus: 0.5)
        );
        Assert.False(fits.OomKilled);
        Assert.Equal(0, fits.ExitCode);
    }

    [Fact]
    public async Task Stop_sends_term_then_kills_after_the_grace_period()
    {
        var (driver, _) = NewDriver();
        // pid 1 without a TERM handler ignores TERM: only the KILL after the grace period ends it.
        await using (
            var stubborn = await driver.StartAsync(
                Spec(NewId(), fixture.BusyboxRef, ["sleep", "60"]),
                new CollectingOutput(),
                CancellationToken.None
            )
        )
        {
            var started = DateTime.UtcNow;
            await stubborn.StopAsync(StopSignal.Terminate, TimeSpan.FromMilliseconds(500), CancellationToken.None);
            var exit = await stubborn.WaitAsync(CancellationToken.None);
            Assert.Equal(9, exit.Signal);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(20));
            // Idempotent:
            await stubborn.StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(1), CancellationToken.None);
        }

        var output = new CollectingOutput();
        await using var polite = await driver.StartAsync(
            Spec(
                NewId(),
                fixture.BusyboxRef,
                ["sh", "-c", "trap 'echo bye; exit 7' TERM; echo ready; while true; do sleep 0.1; done"]
            ),
            output,
            CancellationToken.None
        );
        await output.WaitForLineAsync("ready", Timeout);
        await polite.StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(20), CancellationToken.None);
        var politeExit = await polite.WaitAsync(CancellationToken.None);
        Assert.Equal(7, politeExit.ExitCode);
        Assert.Contains("bye", output.Stdout);
    }

    [Fact]
    public async Task Dispose_removes_the_container_its_cgroup_and_scratch()
    {
        var (driver, _) = NewDriver();
        var id = NewId();
        var scratch = fixture.NewDirectory("hearth-scratch");
        var sandbox = await driver.StartAsync(
            Spec(id, fixture.BusyboxRef, ["sleep", "60"], new ResourceLimits(Pids: 10)) with
            {
                ScratchRoot = scratch,
            },
            new CollectingOutput(),
            CancellationToken.None
        );
        Assert.True(Directory.Exists($"/sys/fs/cgroup/pids/hearth/{id}"));
        await sandbox.DisposeAsync();
        Assert.False(Directory.Exists($"/sys/fs/cgroup/pids/hearth/{id}"));
        Assert.False(Directory.Exists(Path.Combine(scratch, id)));
        Assert.True(Directory.Exists(scratch), "the scratch root is the agent's, shared by its sandboxes");
        Assert.DoesNotContain(scratch, await File.ReadAllTextAsync("/proc/self/mountinfo"));
    }

    [Fact]
    public async Task Sandboxes_sharing_a_scratch_root_each_get_their_own_rootfs()
    {
        var (driver, _) = NewDriver();
        var scratch = fixture.NewDirectory("hearth-shared-scratch");
        var first = new CollectingOutput();
        var second = new CollectingOutput();
        await using var a = await driver.StartAsync(
            Spec(NewId(), fixture.BusyboxRef, ["sh", "-c", "echo a > /tmp/mine; sleep 1; cat /tmp/mine"]) with
            {
                ScratchRoot = scratch,
            },
            first,
            CancellationToken.None
        );
        await using (
            var b = await driver.StartAsync(
                Spec(NewId(), fixture.BusyboxRef, ["sh", "-c", "echo b > /tmp/mine; cat /tmp/mine"]) with
                {
                    ScratchRoot = scratch,
                },
                second,
                CancellationToken.None
            )
        )
        {
            Assert.Equal(0, (await b.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
        }
        Assert.Equal(0, (await a.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
        Assert.Equal(["a"], first.Stdout);
        Assert.Equal(["b"], second.Stdout);
    }

    [Fact]
    public async Task Crun_runs_after_the_checked_hybrid_cgroup_fix_and_enforces_pids()
    {
        var (driver, _) = NewDriver(
            new OciDriverOptions
            {
                Runtime = "crun",
                StateRoot = fixture.NewDirectory("hearth-crun-state"),
                FixHybridCgroupsForCrun = true,
                UserNamespace = UserNamespace,
            }
        );
        var (exit, output) = await RunAsync(fixture.BusyboxRef, ["echo", "hi from crun"], driver: driver);
        Assert.Equal(0, exit.ExitCode);
        Assert.Equal(["hi from crun"], output.Stdout);

        var (_, capped) = await RunAsync(
            fixture.BusyboxRef,
            ["sh", "-c", "for i in $(seq 1 30); do sleep 2 & done; wait"],
            limits: new ResourceLimits(Pids: 8),
            driver: driver
        );
        Assert.Contains("can't fork", capped.Stderr);
        Assert.True(driver.Fingerprint().Healthy);
    }

    [Fact]
    public async Task Crun_runs_plain_runs_and_runc_the_memory_limited_ones_so_their_oom_kills_are_seen()
    {
        var (driver, _) = NewDriver(
            new OciDriverOptions
            {
                Runtime = "crun",
                MemoryLimitedRuntime = "runc",
                StateRoot = fixture.NewDirectory("hearth-crun-state"),
                FixHybridCgroupsForCrun = true,
                UserNamespace = UserNamespace,
            }
        );
        var fingerprint = driver.Fingerprint();
        Assert.True(fingerprint.Healthy, fingerprint.Reason);
        Assert.Equal("crun", fingerprint.Attributes["driver.oci.runtime"]);
        Assert.Equal("runc", fingerprint.Attributes["driver.oci.runtime.memory_limited"]);

        var id = NewId();
        await using (
            var sleeper = await driver.StartAsync(
                Spec(id, fixture.BusyboxRef, ["sleep", "30"]),
                new CollectingOutput(),
                CancellationToken.None
            )
        )
        {
            Assert.Equal("crun", await RuntimeOfAsync(sleeper.Pid));
        }
        await using (
            var limited = await driver.StartAsync(
                Spec(NewId(), fixture.BusyboxRef, ["sleep", "30"], new ResourceLimits(MemoryBytes: 64L << 20)),
                new CollectingOutput(),
                CancellationToken.None
            )
        )
        {
            Assert.Equal("runc", await RuntimeOfAsync(limited.Pid));
        }

        var (exit, _) = await RunAsync(
            fixture.BusyboxRef,
            ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"],
            limits: new ResourceLimits(MemoryBytes: 64L * 1024 * 1024),
            driver: driver
        );
        Assert.True(exit.OomKilled);
        Assert.Equal(137, exit.ExitCode);
    }

    [Fact]
    public async Task Crun_alone_sees_an_oom_kill_through_the_watched_parent_cgroup_and_removes_it()
    {
        var (driver, _) = NewDriver(
            new OciDriverOptions
            {
                Runtime = "crun",
                StateRoot = fixture.NewDirectory("hearth-crun-state"),
                FixHybridCgroupsForCrun = true,
                UserNamespace = UserNamespace,
            }
        );
        var id = NewId();
        var output = new CollectingOutput();
        var limits = new ResourceLimits(MemoryBytes: 64L * 1024 * 1024, Pids: 16);
        SandboxExit exit;
        await using (
            var hog = await driver.StartAsync(
                Spec(
                    id,
                    fixture.BusyboxRef,
                    [
                        "sh",
                        "-c",
                        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; dd if=/dev/zero of=/dev/null bs=200M count=1",
                    ],
                    limits
                ),
                output,
                CancellationToken.None
            )
        )
        {
            Assert.Equal(
                (64L << 20).ToString(),
                (await File.ReadAllTextAsync($"/sys/fs/cgroup/memory/hearth/{id}/memory.limit_in_bytes")).Trim()
            );
            exit = await hog.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        }
        Assert.True(exit.OomKilled);
        Assert.Equal(137, exit.ExitCode);
        // The container's own cgroup shows (about) its limit to the programs in it.
        Assert.InRange(long.Parse(output.Stdout.First()), 64L << 20, (64L << 20) + 65536);
        foreach (var hierarchy in new[] { "memory", "pids", "cpu" })
            Assert.False(Directory.Exists($"/sys/fs/cgroup/{hierarchy}/hearth/{id}"), hierarchy);

        var (fits, _) = await RunAsync(
            fixture.BusyboxRef,
            ["dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1"],
            limits: limits,
            driver: driver
        );
        Assert.False(fits.OomKilled);
        Assert.Equal(0, fits.ExitCode);
    }

    /// <summary>
    /// The runtime binary a sandbox's monitor (<c>sh -c SCRIPT hearth-oci-monitor RUNTIME …</c>) runs.
    /// </summary>
    protected static async Task<string> RuntimeOfAsync(int pid)
    {
        var argv = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Split('\0');
        return Path.GetFileName(argv[Array.IndexOf(argv, "hearth-oci-monitor") + 1]);
    }

    protected (OciDriver Driver, ImageStore Store) NewDriver(OciDriverOptions? options = null)
    {
        var store = fixture.NewStore();
        var state = fixture.NewDirectory("hearth-runc-state");
        return (
            new OciDriver(
                options ?? new OciDriverOptions { StateRoot = state, UserNamespace = UserNamespace },
                store,
                TimeProvider.System
            ),
            store
        );
    }

    protected static string NewId() => "t-" + Guid.NewGuid().ToString("N")[..16];

    protected SandboxSpec Spec(
        string id,
        string image,
        IReadOnlyList<string> command,
        ResourceLimits? limits = null,
        IReadOnlyDictionary<string, string>? env = null
    ) =>
        new()
        {
            SandboxId = id,
            Image = image,
            Command = command,
            Limits = limits ?? ResourceLimits.None,
            Environment = env ?? new Dictionary<string, string>(),
            ScratchRoot = Path.Combine(fixture.NewDirectory("hearth-scratch"), "s"),
        };

    protected async Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(
        string image,
        IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string>? env = null,
        ResourceLimits? limits = null,
        OciDriver? driver = null
    )
    {
        driver ??= NewDriver().Driver;
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(
            Spec(NewId(), image, command, limits, env),
            output,
            CancellationToken.None
        );
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        return (exit, output);
    }
}
