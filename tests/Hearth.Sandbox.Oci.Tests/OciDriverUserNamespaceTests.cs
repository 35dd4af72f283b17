using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// Every <see cref="OciDriverTests"/> test again (limits, OOM, fork bomb, host files, crun), with each container in a
/// user namespace mapping its ids onto host ids 100000..165535, and what only a user namespace has.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class OciDriverUserNamespaceTests(RegistryFixture fixture) : OciDriverTests(fixture)
{
    private static readonly IdMapping Range = new(100000, 65536);

    protected override IdMapping? UserNamespace => Range;

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task Root_in_the_container_is_host_id_100000_and_writes_tmp_etc_and_its_root_as_it(string runtime)
    {
        var (driver, _) = NewDriver(Options(runtime));
        var scratch = Fixture.NewDirectory("hearth-userns-scratch");
        var id = NewId();
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(
            Spec(
                id,
                Fixture.BusyboxRef,
                [
                    "sh",
                    "-c",
                    "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; echo t > /tmp/t && echo e >> /etc/passwd && touch /rootfile && mkdir /rootdir && echo written; sleep 30",
                ]
            ) with
            {
                ScratchRoot = scratch,
            },
            output,
            CancellationToken.None
        );
        await Poll.UntilAsync(
            () => output.Stdout.Contains("written") || sandbox.WaitAsync(CancellationToken.None).IsCompleted,
            Timeout,
            "the line 'written' or the container's end"
        );

        var lines = output
            .Stdout.Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .ToList();
        Assert.True(lines.Contains("written"), output.Stderr);
        Assert.Equal(["0", "0", "0 100000 65536", "0 100000 65536", "written"], lines);
        // From the host: what the container's root made belongs to host uid 100000, in the run's upper layer.
        var upper = Path.Combine(scratch, id, "bundle", "upper");
        foreach (var made in new[] { "tmp/t", "etc/passwd", "rootfile", "rootdir" })
            Assert.Equal("100000:100000", await Tools.OwnerAsync(Path.Combine(upper, made)));
        await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
    }

    [Fact]
    public async Task The_store_unpacks_a_shifted_tree_and_the_copy_mode_rootfs_is_writable_by_the_container_root()
    {
        var (driver, store) = NewDriver(Options("runc") with { RootfsMode = RootfsMode.Copy });
        var (exit, output) = await RunAsync(
            Fixture.BusyboxRef,
            ["sh", "-c", "echo e >> /etc/passwd && touch /rootfile && id -u"],
            driver: driver
        );
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(["0"], output.Stdout);

        var image = await store.FindAsync(Fixture.BusyboxRef, Range, CancellationToken.None);
        Assert.EndsWith("rootfs-100000-65536", image!.RootfsPath);
        Assert.Equal("100000:100000", await Tools.OwnerAsync(image.RootfsPath));
        Assert.Equal("100000:100000", await Tools.OwnerAsync(Path.Combine(image.RootfsPath, "bin/busybox")));
        Assert.Equal("100000:100000", await Tools.OwnerAsync(Path.Combine(image.RootfsPath, "bin/sh")));
    }

    [Fact]
    public async Task A_non_root_image_user_runs_as_its_own_id_and_owns_its_files_as_the_shifted_host_id()
    {
        var layer = TarBuilder.Busybox().Directory("home").Directory("home/app", uid: 1000, gid: 1000).Build();
        var config = new JsonObject { ["User"] = "app", ["WorkingDir"] = "/home/app" };
        await Fixture.Pusher.PushImageAsync("test/userns-app", "1", [layer], config);
        var scratch = Fixture.NewDirectory("hearth-userns-scratch");
        var (driver, store) = NewDriver();
        var id = NewId();
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(
            Spec(
                id,
                $"{Fixture.Registry.Host}/test/userns-app:1",
                [
                    "sh",
                    "-c",
                    "id -u; id -g; echo mine > own && echo written; touch /etc/not-mine || echo refused > /dev/stdout; sleep 30",
                ]
            ) with
            {
                ScratchRoot = scratch,
            },
            output,
            CancellationToken.None
        );
        await Poll.UntilAsync(
            () => output.Stdout.Contains("refused") || sandbox.WaitAsync(CancellationToken.None).IsCompleted,
            Timeout,
            "the line 'refused' or the container's end"
        );

        Assert.Equal(["1000", "1000", "written", "refused"], output.Stdout);
        Assert.Equal(
            "101000:101000",
            await Tools.OwnerAsync(Path.Combine(scratch, id, "bundle", "upper", "home/app/own"))
        );
        var image = await store.FindAsync($"{Fixture.Registry.Host}/test/userns-app:1", Range, CancellationToken.None);
        Assert.Equal("101000:101000", await Tools.OwnerAsync(Path.Combine(image!.RootfsPath, "home/app")));
        await sandbox.StopAsync(StopSignal.Kill, TimeSpan.Zero, CancellationToken.None);
    }

    /// <summary>
    /// The runtime hands its stdio pipes (made by host root) to the process's user, mapped: reopening them works.
    /// </summary>
    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task The_container_can_reopen_its_stdout_and_stderr(string runtime)
    {
        var (exit, output) = await RunAsync(
            Fixture.BusyboxRef,
            ["sh", "-c", "echo out > /dev/stdout; echo err > /dev/stderr"],
            driver: NewDriver(Options(runtime)).Driver
        );
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(["out"], output.Stdout);
        Assert.Equal("err", output.Stderr.Trim());
    }

    [Fact]
    public async Task An_image_owning_files_with_ids_outside_the_range_is_refused_with_a_clear_error()
    {
        var layer = TarBuilder.Busybox().File("etc/outsider", "x", uid: 70000).Build();
        await Fixture.Pusher.PushImageAsync("test/userns-outsider", "1", [layer]);
        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync($"{Fixture.Registry.Host}/test/userns-outsider:1", ["true"])
        );
        Assert.Contains("'etc/outsider' belongs to uid 70000, outside the user namespace's range", error.Message);
    }

    [Theory]
    [InlineData(RootfsMode.Overlay)]
    [InlineData(RootfsMode.Copy)]
    public async Task A_scratch_root_below_a_private_directory_works_and_the_rootfs_is_mounted_where_the_container_can_walk(
        RootfsMode mode
    )
    {
        var owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var parent = Fixture.NewDirectory("hearth-userns-private");
        File.SetUnixFileMode(parent, owner);
        var mountRoot = Path.Combine(Fixture.NewDirectory("hearth-userns-mounts"), "mounts");
        var (driver, _) = NewDriver(Options("runc") with { RootfsMode = mode, UserNamespaceMountRoot = mountRoot });
        var id = NewId();
        var output = new CollectingOutput();
        await using (
            var sandbox = await driver.StartAsync(
                Spec(id, Fixture.BusyboxRef, ["sh", "-c", "echo hi > /tmp/hi && cat /tmp/hi"]) with
                {
                    ScratchRoot = Path.Combine(parent, "scratch"),
                },
                output,
                CancellationToken.None
            )
        )
        {
            Assert.True(Directory.Exists(Path.Combine(mountRoot, id, "rootfs", "bin")));
            // Walkable by the container's root (group 100000), not by host users.
            Assert.Equal("0:100000", await Tools.OwnerAsync(Path.Combine(mountRoot, id)));
            Assert.Equal("710", (await Tools.RunAsync("stat", "-c", "%a", Path.Combine(mountRoot, id))).Trim());
            Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
        }
        Assert.Equal(["hi"], output.Stdout);
        Assert.Equal(owner, File.GetUnixFileMode(parent));
        Assert.False(Directory.Exists(Path.Combine(mountRoot, id)));
        Assert.DoesNotContain(id, await File.ReadAllTextAsync("/proc/self/mountinfo"));
    }

    [Fact]
    public void Fingerprint_reports_the_range()
    {
        var (driver, _) = NewDriver();
        Assert.Equal("100000:65536", driver.Fingerprint().Attributes["driver.oci.userns"]);
    }

    private OciDriverOptions Options(string runtime) =>
        new()
        {
            Runtime = runtime,
            StateRoot = Fixture.NewDirectory($"hearth-{runtime}-state"),
            FixHybridCgroupsForCrun = runtime == "crun",
            UserNamespace = Range,
        };
}
