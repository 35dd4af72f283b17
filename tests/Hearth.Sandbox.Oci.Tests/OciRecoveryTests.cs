using System.Diagnostics;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;
using Hearth.Sandbox.Reaping;
using Hearth.Sandbox.Tests;
using static Hearth.Sandbox.Oci.Tests.Support.Tools;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The oci driver's side of contract v2: a container outlives the driver that started it (its monitor records the
/// exit), is found again from its handle by another driver (as by an agent started again), its output is bytes in
/// files followed from a cursor with partial lines delivered early, and destroying a handle removes everything.
/// The agent killed with kill -9 is the end-to-end test's (SandboxRecoveryTests).
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class OciRecoveryTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_container_is_recovered_from_its_handle_with_its_output_from_the_cursor_signals_and_its_exit_code()
    {
        var (driver, options, store) = NewDriver();
        var first = new PieceLog();
        var original = await driver.StartAsync(
            Spec(
                NewSandboxId(),
                "trap 'echo two; echo three >&2; exit 7' USR1; echo one; while :; do sleep 0.05; done"
            ),
            first,
            CancellationToken.None
        );
        await Poll.UntilAsync(() => first.Pieces.Any(p => p.Text == "one"), Timeout, "the first line");
        var handle = original.Handle;
        Assert.True(driver.Capabilities.Recover);
        Assert.Equal("oci", handle.Driver);
        var cursor = new OutputCursor(first.Pieces.Single(p => p.Text == "one").EndOffset, 0);

        // Another driver, as an agent started again has: nothing of the first one's objects.
        var second = new PieceLog();
        var again = new OciDriver(options, store, TimeProvider.System);
        await using var recovered = await again.RecoverAsync(handle, second, cursor, CancellationToken.None);
        Assert.Equal(original.Pid, recovered.Pid);
        Assert.Equal(SandboxPhase.Running, (await recovered.InspectAsync(CancellationToken.None)).Phase);
        await recovered.SignalAsync(10, CancellationToken.None);
        var exit = await recovered.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(new SandboxExit(7), exit);
        Assert.Equal(["two"], second.Pieces.Where(p => p.Stream == OutputStream.Stdout).Select(p => p.Text));
        Assert.Equal(["three"], second.Pieces.Where(p => p.Stream == OutputStream.Stderr).Select(p => p.Text));
        Assert.Equal("one\ntwo\n"u8.ToArray(), await ReadAllAsync(recovered, OutputStream.Stdout));
        await original.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        await recovered.DisposeAsync();
        AssertGone(handle, options);
        await original.DisposeAsync();
    }

    [Fact]
    public async Task A_container_that_ended_while_no_driver_followed_it_reports_the_exit_code_its_monitor_recorded()
    {
        var (driver, options, store) = NewDriver();
        var original = await driver.StartAsync(
            Spec(NewSandboxId(), "printf 'done\\n\\377 no newline'; exit 4"),
            new PieceLog(),
            CancellationToken.None
        );
        await original.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        var handle = original.Handle;
        Assert.Contains(
            "\"exit-code\": 4",
            await File.ReadAllTextAsync(Path.Combine(handle.State["state_dir"], "status"))
        );

        var output = new PieceLog();
        await using var recovered = await new OciDriver(options, store, TimeProvider.System).RecoverAsync(
            handle,
            output,
            OutputCursor.Start,
            CancellationToken.None
        );
        var exit = await recovered.WaitAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(4, exit.ExitCode);
        Assert.Equal(["done", "\uFFFD no newline"], output.Pieces.Select(p => p.Text));
        Assert.Equal([PieceEnd.Newline, PieceEnd.End], output.Pieces.Select(p => p.End));
        Assert.Equal([.. "done\n"u8, 0xff, .. " no newline"u8], await ReadAllAsync(recovered, OutputStream.Stdout));
        await recovered.DisposeAsync();
        AssertGone(handle, options);
        await original.DisposeAsync();
    }

    [Fact]
    public async Task A_partial_line_is_delivered_within_a_quarter_of_a_second()
    {
        var (driver, _, _) = NewDriver();
        var output = new PieceLog();
        await using var sandbox = await driver.StartAsync(
            Spec(NewSandboxId(), "echo ready; sleep 1; printf '\\r42%%'; sleep 30"),
            output,
            CancellationToken.None
        );
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "ready"), Timeout, "the first line");
        var stdout = Path.Combine(sandbox.Handle.State["state_dir"], "stdout");
        await Poll.UntilAsync(() => new FileInfo(stdout).Length > 6, Timeout, "the partial line written");
        var written = Stopwatch.StartNew();
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "\r42%"), Timeout, "the partial line delivered");

        Assert.True(
            written.Elapsed < TimeSpan.FromMilliseconds(250),
            $"the partial line took {written.Elapsed.TotalMilliseconds:0} ms"
        );
        Assert.Equal(PieceEnd.Idle, output.Pieces.Single(p => p.Text == "\r42%").End);
    }

    [Fact]
    public async Task Destroying_a_handle_removes_the_container_its_monitor_mounts_network_and_directories_and_is_idempotent()
    {
        var (driver, options, store) = NewDriver();
        var output = new PieceLog();
        var id = NewSandboxId();
        var sandbox = await driver.StartAsync(
            Spec(id, "echo up; sleep 600") with
            {
                Network = true,
            },
            output,
            CancellationToken.None
        );
        await Poll.UntilAsync(() => output.Pieces.Any(p => p.Text == "up"), Timeout, "the container up");
        var handle = sandbox.Handle;
        Assert.True(File.Exists($"/run/netns/hearth-{id}"));
        Assert.True(File.Exists(Path.Combine(store.RootDirectory, "leases", id)));

        // As an agent whose lease is gone does: the handle only, from another driver.
        var again = new OciDriver(options, store, TimeProvider.System);
        await again.DestroyAsync(handle, CancellationToken.None).WaitAsync(Timeout);
        await again.DestroyAsync(handle, CancellationToken.None).WaitAsync(Timeout);

        AssertGone(handle, options);
        Assert.False(File.Exists($"/run/netns/hearth-{id}"), "the network namespace is left");
        Assert.DoesNotContain(await again.Network.ListAsync(CancellationToken.None), a => a.SandboxId == id);
        Assert.False(File.Exists(Path.Combine(store.RootDirectory, "leases", id)), "the image lease is left");
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(137, exit.ExitCode);
        await sandbox.DisposeAsync();
    }

    [Fact]
    public async Task A_start_cancelled_at_any_point_leaves_nothing_behind()
    {
        var (driver, options, _) = NewDriver();
        var cancelled = 0;
        foreach (var after in new[] { 1, 10, 30, 60, 100, 150, 250, 400 })
        {
            var id = NewSandboxId();
            var spec = Spec(id, "echo started; sleep 600");
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(after));
            try
            {
                await using var started = await driver.StartAsync(spec, new PieceLog(), cancel.Token);
                continue;
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
            Assert.False(
                Directory.Exists(Path.Combine(options.StateRoot, id)),
                $"container {id} is left after a cancel at {after} ms"
            );
            Assert.False(
                Directory.Exists(Path.Combine(spec.ScratchRoot, id)),
                $"scratch of {id} is left after a cancel at {after} ms"
            );
            Assert.False(
                Directory.Exists(spec.StateDirectoryOrDefault),
                $"records of {id} are left after a cancel at {after} ms"
            );
            Assert.DoesNotContain(MountTable.MountPoints(), p => p.Contains(id, StringComparison.Ordinal));
            await Poll.UntilAsync(
                () => MarkedPids(id).Count == 0,
                Timeout,
                $"the processes of {id} gone after a cancel at {after} ms"
            );
            // The runtime makes the container's cgroups before its state: a cancel in between must not leave them.
            Assert.DoesNotContain(Directory.GetDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup"), h =>
                Directory.Exists(Path.Combine(h, "hearth", id))
            );
        }
        Assert.True(cancelled > 0, "no start was cancelled");
    }

    private static void AssertGone(SandboxHandle handle, OciDriverOptions options)
    {
        var id = handle.SandboxId;
        Assert.False(
            Directory.Exists(Path.Combine(options.StateRoot, id)),
            "the container is left in the runtime's state"
        );
        Assert.False(Directory.Exists(handle.State["scratch"]), "the scratch directory is left");
        Assert.False(Directory.Exists(handle.State["state_dir"]), "the records are left");
        Assert.DoesNotContain(MountTable.MountPoints(), p => p.Contains(id, StringComparison.Ordinal));
        Assert.Empty(MarkedPids(id));
    }

    private (OciDriver Driver, OciDriverOptions Options, ImageStore Store) NewDriver()
    {
        var options = new OciDriverOptions
        {
            StateRoot = registry.NewDirectory("hearth-runc-state"),
            Network = network.Options,
        };
        var store = registry.NewStore();
        return (new OciDriver(options, store, TimeProvider.System), options, store);
    }

    /// <summary>A sandbox id as an agent makes one: only those are found by their marks.</summary>
    private SandboxSpec Spec(string id, string script) =>
        new()
        {
            SandboxId = id,
            Image = registry.BusyboxRef,
            Command = ["sh", "-c", script],
            ScratchRoot = Path.Combine(registry.NewDirectory("hearth-scratch"), "agent"),
        };

    private static async Task<byte[]> ReadAllAsync(ISandbox sandbox, OutputStream stream)
    {
        var all = new List<byte>();
        var buffer = new byte[7];
        int read;
        while ((read = await sandbox.ReadOutputAsync(stream, all.Count, buffer, CancellationToken.None)) > 0)
            all.AddRange(buffer.AsSpan(0, read));
        return [.. all];
    }

    private static List<int> MarkedPids(string sandboxId) =>
        Directory
            .EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && !IsZombie(pid) && MarkedProcesses.Marks(pid)?.Sandbox == sandboxId)
            .ToList();

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }
}
