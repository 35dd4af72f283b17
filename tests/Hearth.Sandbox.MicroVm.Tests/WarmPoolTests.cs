using System.Diagnostics.Metrics;
using Hearth.Sandbox.Oci.Tests.Support;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.MicroVm.Tests;

/// <summary>
/// A warm pool of one VM (software emulation): two tasks in a row each take a booted VM, get a fresh identity and see
/// nothing of the other; exec runs beside the task's command; QEMU runs in a bounded cgroup; the boot metrics say warm;
/// stopping the pool leaves nothing.
/// One test, so the suite boots three VMs for all of it.
/// </summary>
public sealed class WarmPoolTests(VmFixture fixture) : IClassFixture<VmFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task Tasks_take_booted_vms_with_fresh_identities_exec_into_them_and_nothing_is_left()
    {
        var root = fixture.NewDirectory("hvp");
        var size = new VmSizeClass(1, 160L << 20);
        var driver = new MicroVmDriver(
            fixture.Options with
            {
                PoolScratchRoot = root,
                WarmPools = [new WarmPoolEntry(size, fixture.Image, 1)],
            },
            fixture.Store,
            TimeProvider.System
        );
        using var meter = new Meter("test.warm-pool");
        driver.AddInstruments(meter);
        var boots = new List<(double Seconds, string Start)>();
        var gauges = new Dictionary<string, int>();
        using var listener = Listen(meter, boots, gauges);
        var cgroups = new List<string>();
        try
        {
            driver.StartWarming();
            await Poll.UntilAsync(
                () => driver.PooledCount(size, fixture.Image) == 1,
                Timeout,
                $"a pooled VM ({driver.PoolError})"
            );
            var kept = Assert.Single(driver.KeptSandboxIds());
            Assert.True(SandboxMarks.IsSandboxId(kept), kept);
            listener.RecordObservableInstruments();
            Assert.Equal(1, gauges["hearth_vm_pool_size/1cpu-160mb"]);
            Assert.Equal(1, gauges["hearth_vms_active/qemu-tcg"]);

            // The first task: its own hostname and machine-id, a file written; exec beside it sees its environment.
            var first = new CollectingOutput();
            var firstSpec = Spec(
                root,
                [
                    "sh",
                    "-c",
                    "hostname; cat /etc/machine-id; ls /sys/class/net; echo left > /mark; echo up; while [ ! -f /done ]; do sleep 0.2; done",
                ],
                size
            );
            await using (var sandbox = await driver.StartAsync(firstSpec, first, CancellationToken.None))
            {
                Assert.Equal(kept, sandbox.Handle.SandboxId);
                Assert.Equal(0, driver.PooledCount(size, fixture.Image));
                await first.WaitForLineAsync("up", Timeout);

                // QEMU runs in a cgroup of its own: the guest's memory and vCPU plus QEMU's overhead.
                var memory = sandbox.Handle.State["cgroup.memory"];
                cgroups.AddRange(
                    sandbox
                        .Handle.State.Where(e => e.Key.StartsWith("cgroup.", StringComparison.Ordinal))
                        .Select(e => e.Value)
                );
                Assert.Equal(
                    (160L + 256) << 20,
                    long.Parse(File.ReadAllText(Path.Combine(memory, "memory.limit_in_bytes")))
                );
                Assert.Equal(
                    150000,
                    long.Parse(File.ReadAllText(Path.Combine(sandbox.Handle.State["cgroup.cpu"], "cpu.cfs_quota_us")))
                );
                Assert.Contains(
                    sandbox.Handle.State["qemu_pid"],
                    File.ReadAllLines(Path.Combine(memory, "cgroup.procs"))
                );

                var exec = new CollectingOutput();
                var exit = await sandbox
                    .ExecAsync(
                        ["sh", "-c", "echo \"token=$TOKEN in $(pwd)\"; cat /mark; echo bad >&2; exit 7"],
                        exec,
                        CancellationToken.None
                    )
                    .WaitAsync(Timeout);
                Assert.Equal(7, exit.ExitCode);
                Assert.Equal(["token=s3cret in /", "left"], exec.Stdout);
                Assert.Equal("bad", exec.Stderr);
                Assert.DoesNotContain("token=s3cret in /", first.Stdout);

                var done = await sandbox
                    .ExecAsync(["touch", "/done"], new CollectingOutput(), CancellationToken.None)
                    .WaitAsync(Timeout);
                Assert.Equal(0, done.ExitCode);
                Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
            }
            var firstLines = first.Stdout.ToList();
            Assert.Equal(firstSpec.SandboxId, firstLines[0]);
            Assert.Matches("^[0-9a-f]{32}$", firstLines[1]);
            Assert.Equal("lo", firstLines[2]);
            Assert.Equal("up", firstLines[3]);
            Assert.False(Directory.Exists(Path.Combine(root, kept)), "the taken VM's scratch directory is left");
            Assert.DoesNotContain(kept, driver.KeptSandboxIds());

            // The pool booted a replacement; the next task takes it and sees none of the first.
            await Poll.UntilAsync(
                () => driver.PooledCount(size, fixture.Image) == 1,
                Timeout,
                $"the pool refilled ({driver.PoolError})"
            );
            var second = new CollectingOutput();
            var secondSpec = Spec(
                root,
                ["sh", "-c", "hostname; cat /etc/machine-id; cat /mark 2>/dev/null || echo absent"],
                size
            );
            await using (var sandbox = await driver.StartAsync(secondSpec, second, CancellationToken.None))
            {
                Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
            }
            var secondLines = second.Stdout.ToList();
            Assert.Equal([secondSpec.SandboxId, secondLines[1], "absent"], secondLines);
            Assert.NotEqual(firstLines[1], secondLines[1]);

            Assert.Equal(["warm", "warm"], boots.Select(b => b.Start));
        }
        finally
        {
            await driver.StopWarmingAsync();
        }
        Assert.Empty(driver.KeptSandboxIds());
        Assert.Empty(Directory.GetDirectories(root));
        Assert.Empty(MarkedBy(root));
        Assert.NotEmpty(cgroups);
        Assert.All(cgroups, directory => Assert.False(Directory.Exists(directory), $"cgroup {directory} is left"));
        listener.RecordObservableInstruments();
        Assert.Equal(0, gauges.GetValueOrDefault("hearth_vms_active/qemu-tcg"));
    }

    private static MeterListener Listen(Meter meter, List<(double, string)> boots, Dictionary<string, int> gauges)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == meter)
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<double>(
            (instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == "start")
                        lock (boots)
                            boots.Add((value, (string)tag.Value!));
            }
        );
        listener.SetMeasurementEventCallback<int>(
            (instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                    lock (gauges)
                        gauges[instrument.Name + "/" + tag.Value] = value;
            }
        );
        listener.Start();
        return listener;
    }

    private SandboxSpec Spec(string root, IReadOnlyList<string> command, VmSizeClass size)
    {
        var id = Guid.NewGuid().ToString("N")[..12] + "-t-a1-e1";
        return new SandboxSpec
        {
            SandboxId = id,
            Command = command,
            Image = fixture.Image,
            Environment = new Dictionary<string, string> { ["TOKEN"] = "s3cret" },
            Limits = new ResourceLimits(Cpus: size.Cpus, MemoryBytes: size.MemoryBytes),
            ScratchRoot = root,
            StateDirectory = Path.Combine(fixture.NewDirectory("hvs"), id),
        };
    }

    /// <summary>Host processes whose marks name <paramref name="root"/> as their owner.</summary>
    private static List<int> MarkedBy(string root) =>
        Directory
            .GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Where(pid => MarkedProcesses.Marks(pid) is { Owner: var owner } && owner == SandboxOwner.Normalize(root))
            .ToList();
}
