using Google.Protobuf;
using Grpc.Core;
using Hearth.Sandbox.MicroVm.Flintlock;
using Hearth.Sandbox.Oci.Tests.Support;
using FlintlockTypes = global::Flintlock.Types;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// The Flintlock backend against a gRPC server implementing flintlockd's microvm/v1alpha1 service
/// (<see cref="FakeFlintlockd"/>) and, for the guest channel, Firecracker's vsock device with a guest that speaks
/// Hearth's protocol (<see cref="FakeVsockGuest"/>). No flintlockd runs on this machine: untested against the real one.
/// </summary>
public sealed class FlintlockBackendTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_task_runs_through_flintlockd_with_its_spec_and_the_guest_channel_and_is_deleted_after()
    {
        await using var flintlockd = await FakeFlintlockd.StartAsync();
        var vsockDirectory = fixture.NewDirectory("hearth-fl-vsock");
        await using var guest = FakeVsockGuest.Start(Path.Combine(vsockDirectory, "v.sock"), async (_, io) =>
        {
            await io.StdoutAsync("hello\n");
            await io.StderrAsync("oops\n");
            return 3;
        });
        // Booting: the guest does not listen on its control port at first; Hearth asks again until it does.
        guest.Listening = false;
        flintlockd.VsockPath = guest.UdsPath;
        var driver = Driver(flintlockd);
        var scratch = fixture.NewDirectory("hearth-fl-scratch");
        var state = Path.Combine(fixture.NewDirectory("hearth-fl-state"), "fl-task-1");
        var spec = new SandboxSpec
        {
            SandboxId = "fl-task-1",
            Command = ["sh", "-c", "echo hello; echo oops >&2; exit 3"],
            Environment = new Dictionary<string, string> { ["TOKEN"] = "s3cret" },
            Limits = new ResourceLimits(Cpus: 1.5, MemoryBytes: 512L << 20),
            Image = fixture.Image,
            ScratchRoot = scratch,
            StateDirectory = state,
        };
        var output = new CollectingOutput();
        var starting = driver.StartAsync(spec, output, CancellationToken.None);
        await Poll.UntilAsync(() => guest.Connects.Count > 0, Timeout, "a refused CONNECT while the guest boots");
        guest.Listening = true;
        SandboxExit exit;
        string uid;
        await using (var sandbox = await starting.WaitAsync(Timeout))
        {
            exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            uid = sandbox.Handle.Require("flintlock_uid");
            Assert.Equal("flintlock", sandbox.Handle.Require("backend"));
            Assert.Equal(guest.UdsPath, sandbox.Handle.Require("vsock_path"));
        }

        Assert.Equal(3, exit.ExitCode);
        Assert.Equal(["hello"], output.Stdout);
        Assert.Equal("oops", output.Stderr);
        Assert.All(guest.Connects, line => Assert.Equal("CONNECT 1000", line));

        // The spec flintlockd was asked for, field by field.
        var create = Assert.Single(flintlockd.Creates);
        var vm = create.Microvm;
        Assert.Equal("fl-task-1", vm.Id);
        Assert.Equal("hearth-test", vm.Namespace);
        Assert.Equal(2, vm.Vcpu);
        Assert.Equal(512, vm.MemoryInMb);
        Assert.Equal("ghcr.io/liquidmetal-dev/flintlock-kernel:6.1.55", vm.Kernel.Image);
        Assert.Equal("boot/vmlinux", vm.Kernel.Filename);
        Assert.Equal(new Dictionary<string, string> { ["hearth.channel"] = "vsock" }, vm.Kernel.Cmdline);
        Assert.False(vm.Kernel.AddNetworkConfig);
        Assert.Equal("registry.example/hearth/initramfs:1", vm.Initrd.Image);
        Assert.False(vm.Initrd.HasFilename);
        Assert.Equal("root", vm.RootVolume.Id);
        Assert.False(vm.RootVolume.IsReadOnly);
        Assert.Equal(fixture.Image, vm.RootVolume.Source.ContainerSource);
        Assert.True(vm.AllowGuestAgent);
        Assert.Empty(vm.Interfaces);
        Assert.Empty(vm.AdditionalVolumes);
        Assert.False(vm.HasUid);
        Assert.Equal(new Dictionary<string, string> { ["hearth.sandbox"] = "fl-task-1" }, vm.Labels);
        Assert.Equal(["meta-data", "user-data"], vm.Metadata.Keys.Order());
        Assert.Equal("instance-id: fl-task-1\nlocal-hostname: fl-task-1\n", Decode(vm.Metadata["meta-data"]));
        Assert.Equal("#cloud-config\nhostname: fl-task-1\n", Decode(vm.Metadata["user-data"]));
        Assert.Empty(create.Metadata);
        // The task's secret never goes to flintlockd (it keeps specs and serves metadata to the whole guest).
        Assert.DoesNotContain("s3cret", JsonFormatter.Default.Format(create));
        Assert.True(flintlockd.Gets.Count(g => g == uid) >= 3, "GetMicroVM polled until CREATED");

        // The guest got the task over the vsock channel: a fresh identity, the environment with the secret, argv.
        var task = await guest.Received.Task.WaitAsync(Timeout);
        Assert.Equal(["fl-task-1"], task.All("hostname"));
        Assert.Equal(33, Assert.Single(task.All("machine-id")).Length);
        Assert.Contains("TOKEN=s3cret", task.All("env"));
        Assert.Equal(["sh", "-c", "echo hello; echo oops >&2; exit 3"], task.All("arg"));

        // Destroyed: deleted on flintlockd, nothing left of the sandbox here, the guest's stream sockets closed.
        Assert.Contains(uid, flintlockd.Deletes);
        Assert.False(
            flintlockd.Has(uid)
                && (await Get(flintlockd, uid))?.Status.State
                    != FlintlockTypes.MicroVMStatus.Types.MicroVMState.Deleting
        );
        Assert.Empty(Directory.GetFileSystemEntries(scratch));
        Assert.False(Directory.Exists(state));
        Assert.Equal([guest.UdsPath], Directory.GetFileSystemEntries(vsockDirectory));
    }

    [Fact]
    public async Task A_failed_reconcile_or_a_grpc_error_fails_the_start_clearly()
    {
        await using var flintlockd = await FakeFlintlockd.StartAsync();
        var scratch = fixture.NewDirectory("hearth-fl-scratch");
        var driver = Driver(flintlockd);
        flintlockd.FailReconcile = true;

        var failed = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(Spec("fl-failed", scratch), new CollectingOutput(), CancellationToken.None)
        );
        var uid = Assert.Single(flintlockd.Deletes);
        Assert.Equal(
            $"flintlockd at {flintlockd.Endpoint}: failed to make VM {uid} (after 10 retries)",
            failed.Message
        );
        Assert.Empty(Directory.GetFileSystemEntries(scratch));

        flintlockd.CreateError = new RpcException(
            new Status(StatusCode.Unknown, "creating microvm: microvm provider firecracker isn't available")
        );
        var refused = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(Spec("fl-refused", scratch), new CollectingOutput(), CancellationToken.None)
        );
        Assert.Equal(
            $"flintlockd at {flintlockd.Endpoint}: CreateMicroVM failed (Unknown): creating microvm: microvm provider firecracker isn't available",
            refused.Message
        );
        Assert.Single(flintlockd.Deletes);
        Assert.Empty(Directory.GetFileSystemEntries(scratch));

        // A VM without the guest-agent vsock on this host cannot carry a task: refused, and deleted.
        flintlockd.CreateError = null;
        flintlockd.FailReconcile = false;
        flintlockd.VsockPath = "/run/flintlock/vm/elsewhere/v.sock";
        var remote = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(Spec("fl-remote", scratch), new CollectingOutput(), CancellationToken.None)
        );
        Assert.EndsWith(
            "'s vsock socket /run/flintlock/vm/elsewhere/v.sock is not on this host: the flintlock backend needs the agent on flintlockd's host",
            remote.Message
        );
        Assert.Equal(2, flintlockd.Deletes.Count);
        Assert.Empty(Directory.GetFileSystemEntries(scratch));

        Assert.True(driver.Fingerprint().Healthy);
        Assert.Equal("flintlock", driver.Fingerprint().Attributes["driver.microvm.backend"]);
        await flintlockd.DisposeAsync();
        // A new agent (a fresh channel, no connection cut half-way) finds nothing listening.
        var down = Driver(flintlockd).Fingerprint();
        Assert.False(down.Healthy);
        Assert.StartsWith($"flintlockd at {flintlockd.Endpoint}: ListMicroVMs failed (Unavailable): ", down.Reason);
    }

    [Fact]
    public async Task Stop_signals_the_guest_then_deletes_the_vm_and_a_vm_is_recovered_and_destroyed_from_its_handle()
    {
        await using var flintlockd = await FakeFlintlockd.StartAsync();
        var vsockDirectory = fixture.NewDirectory("hearth-fl-vsock");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        GuestIo? lastIo = null;
        FakeVsockGuest? device = null;
        await using var guest = FakeVsockGuest.Start(Path.Combine(vsockDirectory, "v.sock"), async (task, io) =>
        {
            lastIo = io;
            await io.StdoutAsync("before\n");
            if (task.All("arg").Last() == "trap")
            {
                // As the guest init does: the signal goes to the command, which exits 128+N.
                await Poll.UntilAsync(() => !device!.Signals.IsEmpty, Timeout, "a signal");
                return 128 + device!.Signals.First();
            }
            await release.Task;
            await io.ReconnectAsync();
            await io.StdoutAsync("after\n");
            return 0;
        });
        device = guest;
        flintlockd.VsockPath = guest.UdsPath;
        var scratch = fixture.NewDirectory("hearth-fl-scratch");

        // TERM into the guest; the command ends with 143 within the grace.
        await using (
            var stopped = await Driver(flintlockd)
                .StartAsync(Spec("fl-stop", scratch, "trap"), new CollectingOutput(), CancellationToken.None)
        )
        {
            await stopped.StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(20), CancellationToken.None);
            var exit = await stopped.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(143, exit.ExitCode);
            Assert.Equal(15, exit.Signal);
            Assert.Equal([15], guest.Signals);
        }

        // An agent restart: the first driver's sandbox is left as it was; a new driver recovers the VM from its handle,
        // the guest's streams reconnect to it, and the output continues from the cursor.
        var first = await Driver(flintlockd)
            .StartAsync(Spec("fl-recover", scratch, "wait"), new CollectingOutput(), CancellationToken.None);
        var handle = first.Handle;
        var uid = handle.Require("flintlock_uid");
        var output = new CollectingOutput();
        var afterCursor = new OutputCursor("before\n".Length, 0);
        await Poll.UntilAsync(
            () =>
                first.ReadOutputAsync(OutputStream.Stdout, 0, new byte[64], CancellationToken.None).AsTask().Result
                == afterCursor.Stdout,
            Timeout,
            "the first output recorded"
        );
        await using (
            var recovered = await Driver(flintlockd).RecoverAsync(handle, output, afterCursor, CancellationToken.None)
        )
        {
            release.SetResult();
            var exit = await recovered.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(0, exit.ExitCode);
            Assert.Equal(["after"], output.Stdout);
        }
        Assert.Contains(uid, flintlockd.Deletes);
        await first.DisposeAsync();

        // Gone from flintlockd with no exit code recorded: not recoverable, said plainly.
        await Poll.UntilAsync(
            () => !flintlockd.Has(uid) || Get(flintlockd, uid).Result is null,
            Timeout,
            "the delete reconciled"
        );
        var lost = await Assert.ThrowsAsync<SandboxRecoveryException>(() =>
            Driver(flintlockd).RecoverAsync(handle, new CollectingOutput(), OutputCursor.Start, CancellationToken.None)
        );
        Assert.Equal($"VM fl-recover ({uid}) is gone from flintlockd and recorded no exit code", lost.Message);

        // Destroy from a handle alone deletes the VM and removes its records.
        var orphan = await Driver(flintlockd)
            .StartAsync(Spec("fl-orphan", scratch, "wait"), new CollectingOutput(), CancellationToken.None);
        var orphanUid = orphan.Handle.Require("flintlock_uid");
        await Driver(flintlockd).DestroyAsync(orphan.Handle, CancellationToken.None);
        Assert.Contains(orphanUid, flintlockd.Deletes);
        Assert.False(Directory.Exists(Path.Combine(scratch, "fl-orphan")));
        await orphan.DisposeAsync();
    }

    private MicroVmDriver Driver(FakeFlintlockd flintlockd) =>
        new(
            new MicroVmDriverOptions
            {
                CacheDirectory = fixture.NewDirectory("hearth-fl-cache"),
                Backend = "flintlock",
                BootTimeout = Timeout,
                Flintlock = new FlintlockOptions
                {
                    Endpoint = flintlockd.Endpoint,
                    Namespace = "hearth-test",
                    KernelImage = "ghcr.io/liquidmetal-dev/flintlock-kernel:6.1.55",
                    KernelFilename = "boot/vmlinux",
                    InitrdImage = "registry.example/hearth/initramfs:1",
                    PollInterval = TimeSpan.FromMilliseconds(50),
                },
            },
            fixture.Store,
            TimeProvider.System
        );

    private SandboxSpec Spec(string id, string scratch, string argument = "x") =>
        new()
        {
            SandboxId = id,
            Command = ["sh", "-c", "true", argument],
            Image = fixture.Image,
            ScratchRoot = scratch,
            StateDirectory = Path.Combine(fixture.NewDirectory("hearth-fl-state"), id),
        };

    private static async Task<FlintlockTypes.MicroVM?> Get(FakeFlintlockd flintlockd, string uid)
    {
        using var client = new FlintlockClient(flintlockd.Endpoint, TimeSpan.FromSeconds(5));
        return await client.GetAsync(uid, CancellationToken.None);
    }

    private static string Decode(string base64) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
}
