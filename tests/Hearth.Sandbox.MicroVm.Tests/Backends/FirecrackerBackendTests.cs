using System.Net;
using System.Text.Json.Nodes;
using Hearth.Sandbox.MicroVm.Firecracker;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// The Firecracker backend against a server implementing Firecracker's published API on a Unix socket
/// (<see cref="FakeFirecrackerApi"/>): no Firecracker runs on this machine (no KVM it can use), so this is all that is
/// tested of it here, not the real program.
/// </summary>
public sealed class FirecrackerBackendTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    [Fact]
    public async Task A_vm_is_configured_and_started_with_the_published_requests_in_order()
    {
        var directory = fixture.NewDirectory("hearth-fc");
        var kernel = Touch(directory, "vmlinux");
        var initrd = Touch(directory, "initrd.cpio");
        var disk = Touch(directory, "root.ext4");
        await using var api = await FakeFirecrackerApi.StartAsync(Path.Combine(directory, "api.sock"));
        using var client = new FirecrackerApiClient(api.SocketPath);
        var machine = new FirecrackerMachine(
            2,
            384,
            kernel,
            initrd,
            FirecrackerMachine.DefaultBootArgs("loglevel=3"),
            disk,
            Path.Combine(directory, "v.sock"),
            TapDevice: "hearth-tap0"
        );

        await FirecrackerBackend.ApplyAsync(machine, client, CancellationToken.None);

        var requests = api.Requests.ToList();
        Assert.Equal(
            [
                "PUT /machine-config",
                "PUT /boot-source",
                "PUT /drives/rootfs",
                "PUT /vsock",
                "PUT /network-interfaces/eth0",
                "PUT /actions",
            ],
            requests.Select(r => r.Method + " " + r.Path)
        );
        AssertJson("""{"vcpu_count": 2, "mem_size_mib": 384}""", requests[0].Body);
        AssertJson(
            $$"""
            {"kernel_image_path": "{{kernel}}", "initrd_path": "{{initrd}}",
             "boot_args": "console=ttyS0 reboot=k panic=1 pci=off quiet hearth.channel=vsock loglevel=3"}
            """,
            requests[1].Body
        );
        AssertJson(
            $$"""{"drive_id": "rootfs", "is_root_device": true, "is_read_only": false, "path_on_host": "{{disk}}"}""",
            requests[2].Body
        );
        AssertJson($$"""{"guest_cid": 3, "uds_path": "{{Path.Combine(directory, "v.sock")}}"}""", requests[3].Body);
        AssertJson("""{"iface_id": "eth0", "host_dev_name": "hearth-tap0"}""", requests[4].Body);
        AssertJson("""{"action_type": "InstanceStart"}""", requests[5].Body);

        // Started: GET / says so, the pre-boot resources are refused with Firecracker's 400 and fault message, and
        // Ctrl+Alt+Del (the stop's shutdown request) is taken.
        var info = await client.DescribeAsync(CancellationToken.None);
        Assert.Equal("Running", info.State);
        var refused = await Assert.ThrowsAsync<FirecrackerApiException>(() =>
            client.PutMachineConfigAsync(new MachineConfiguration(1, 128), CancellationToken.None)
        );
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal("The requested operation is not supported after starting the microVM.", refused.FaultMessage);
        Assert.Equal(
            "Firecracker refused PUT /machine-config (400): The requested operation is not supported after starting the microVM.",
            refused.Message
        );
        await client.PutActionAsync(InstanceActionInfo.SendCtrlAltDel, CancellationToken.None);
        AssertJson("""{"action_type": "SendCtrlAltDel"}""", api.Requests.Last().Body);
    }

    [Fact]
    public async Task A_400_fault_message_fails_the_start_with_it_and_the_vm_is_never_started()
    {
        var directory = fixture.NewDirectory("hearth-fc");
        var disk = Touch(directory, "root.ext4");
        await using var api = await FakeFirecrackerApi.StartAsync(Path.Combine(directory, "api.sock"));
        using var client = new FirecrackerApiClient(api.SocketPath);
        var machine = new FirecrackerMachine(
            1,
            256,
            Path.Combine(directory, "no-such-vmlinux"),
            null,
            FirecrackerMachine.DefaultBootArgs(null),
            disk,
            Path.Combine(directory, "v.sock")
        );

        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            FirecrackerBackend.ApplyAsync(machine, client, CancellationToken.None)
        );

        Assert.Equal(
            "Firecracker refused the VM: Firecracker refused PUT /boot-source (400): "
                + "The kernel file cannot be opened: No such file or directory (os error 2)",
            error.Message
        );
        Assert.Equal(["/machine-config", "/boot-source"], api.Requests.Select(r => r.Path));
        Assert.Equal("Not started", (await client.DescribeAsync(CancellationToken.None)).State);

        // A dead socket is a start error too, naming it.
        await api.DisposeAsync();
        var gone = await Assert.ThrowsAsync<SandboxStartException>(() =>
            FirecrackerBackend.ApplyAsync(machine, client, CancellationToken.None)
        );
        Assert.StartsWith($"Firecracker's API on {api.SocketPath} failed:", gone.Message);
    }

    [Fact]
    public async Task The_driver_refuses_clearly_where_firecracker_is_not_installed()
    {
        var scratch = fixture.NewDirectory("hearth-fc-scratch");
        var driver = new MicroVmDriver(
            new MicroVmDriverOptions
            {
                CacheDirectory = fixture.NewDirectory("hearth-fc-cache"),
                Backend = "firecracker",
                Firecracker = new FirecrackerOptions
                {
                    FirecrackerPath = "/nonexistent/firecracker",
                    KernelPath = "/nonexistent/vmlinux",
                },
            },
            fixture.Store,
            TimeProvider.System
        );

        var fingerprint = driver.Fingerprint();
        Assert.False(fingerprint.Healthy);
        Assert.Equal(
            "the firecracker backend needs the firecracker binary: '/nonexistent/firecracker' is not installed",
            fingerprint.Reason
        );
        Assert.Equal("firecracker", driver.Backend);
        Assert.Equal(FilesystemIsolation.Vm, driver.Capabilities.Filesystem);

        var spec = new SandboxSpec
        {
            SandboxId = "fc-refused",
            Command = ["true"],
            Image = fixture.Image,
            ScratchRoot = scratch,
        };
        var error = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(spec, new CollectingOutput(), CancellationToken.None)
        );
        Assert.Equal(
            "the microvm driver's firecracker backend cannot start a VM: '/nonexistent/firecracker' is not installed (not found on PATH)",
            error.Message
        );
        Assert.Empty(Directory.GetFileSystemEntries(scratch));

        // Without a kernel configured, the fingerprint says that (when the binary is found: /bin/true stands in for the
        // path check only, it is never run as Firecracker).
        var noKernel = new MicroVmDriver(
            new MicroVmDriverOptions
            {
                CacheDirectory = fixture.NewDirectory("hearth-fc-cache"),
                Backend = "firecracker",
                Firecracker = new FirecrackerOptions { FirecrackerPath = "/bin/true" },
            },
            fixture.Store,
            TimeProvider.System
        );
        Assert.Equal(
            "the firecracker backend needs a guest kernel (an uncompressed vmlinux): none is configured",
            noKernel.Fingerprint().Reason
        );
    }

    [Fact]
    public async Task Backends_are_chosen_by_name_and_a_handle_goes_only_to_the_backend_that_made_it()
    {
        var options = new MicroVmDriverOptions
        {
            CacheDirectory = fixture.NewDirectory("hearth-fc-cache"),
            Backend = "cloud-hypervisor",
        };
        var unknown = Assert.Throws<ArgumentException>(() =>
            new MicroVmDriver(options, fixture.Store, TimeProvider.System)
        );
        Assert.Equal(
            "microvm backend 'cloud-hypervisor' is unknown: expected qemu, firecracker or flintlock",
            unknown.Message
        );

        var qemu = new MicroVmDriver(options with { Backend = "qemu" }, fixture.Store, TimeProvider.System);
        var handle = new SandboxHandle(
            "microvm",
            "fc-1",
            1,
            new Dictionary<string, string> { ["backend"] = "firecracker" }
        );
        var refused = await Assert.ThrowsAsync<SandboxRecoveryException>(() =>
            qemu.RecoverAsync(handle, new CollectingOutput(), OutputCursor.Start, CancellationToken.None)
        );
        Assert.Equal(
            "VM fc-1 was made by the firecracker backend, but this agent's microvm backend is qemu",
            refused.Message
        );
    }

    [Fact]
    public async Task A_vm_whose_monitor_is_gone_without_an_exit_code_is_not_recovered_and_is_destroyed_from_its_handle()
    {
        var driver = new MicroVmDriver(
            new MicroVmDriverOptions
            {
                CacheDirectory = fixture.NewDirectory("hearth-fc-cache"),
                Backend = "firecracker",
                Firecracker = new FirecrackerOptions { FirecrackerPath = "/nonexistent/firecracker" },
            },
            fixture.Store,
            TimeProvider.System
        );
        var scratch = Path.Combine(fixture.NewDirectory("hearth-fc-scratch"), "fc-gone");
        var state = Path.Combine(fixture.NewDirectory("hearth-fc-state"), "fc-gone");
        Directory.CreateDirectory(scratch);
        Directory.CreateDirectory(state);
        File.WriteAllText(Path.Combine(scratch, "root.ext4"), "disk");
        // A pid that no process has (beyond pid_max): the monitor is gone.
        var handle = new SandboxHandle(
            "microvm",
            "fc-gone",
            1,
            new Dictionary<string, string>
            {
                ["backend"] = "firecracker",
                ["started_at"] = "0",
                ["state_dir"] = state,
                ["scratch"] = scratch,
                ["vsock_path"] = Path.Combine(scratch, "v.sock"),
                ["monitor_pid"] = "99999999",
                ["monitor_start_time"] = "1",
            }
        );

        var lost = await Assert.ThrowsAsync<SandboxRecoveryException>(() =>
            driver.RecoverAsync(handle, new CollectingOutput(), OutputCursor.Start, CancellationToken.None)
        );
        Assert.Equal("VM fc-gone is gone and its monitor recorded no exit code", lost.Message);

        await driver.DestroyAsync(handle, CancellationToken.None);
        Assert.False(Directory.Exists(scratch));
        Assert.False(Directory.Exists(state));

        var malformed = handle with { State = new Dictionary<string, string>(handle.State) { ["monitor_pid"] = "x" } };
        Assert.Equal(
            "the microvm handle of fc-gone is malformed: its monitor",
            (
                await Assert.ThrowsAsync<SandboxRecoveryException>(() =>
                    driver.RecoverAsync(malformed, new CollectingOutput(), OutputCursor.Start, CancellationToken.None)
                )
            ).Message
        );
    }

    private static string Touch(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, [0x7f, (byte)'E', (byte)'L', (byte)'F']);
        return path;
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)),
            $"expected {expected}, got {actual}"
        );
}
