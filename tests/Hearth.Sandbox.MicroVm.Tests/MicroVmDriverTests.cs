using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests;

/// <summary>
/// Real VMs: QEMU microvm under software emulation (TCG) on this machine, Debian's cloud kernel, a busybox image from a
/// loopback registry. Each test boots one VM (a few seconds each, more on a busy host), so there are few.
/// </summary>
public sealed class MicroVmDriverTests(VmFixture fixture) : IClassFixture<VmFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void Fingerprint_names_the_backend_and_the_guest_kernel()
    {
        var driver = fixture.NewDriver();
        var fingerprint = driver.Fingerprint();
        Assert.True(fingerprint.Healthy, fingerprint.Reason);
        // This machine's /dev/kvm is PVM, which boots no stock kernel: software emulation.
        Assert.Equal("qemu-tcg", fingerprint.Attributes["driver.microvm.backend"]);
        Assert.EndsWith("-cloud-amd64", fingerprint.Attributes["driver.microvm.kernel"]);
        Assert.Equal(FilesystemIsolation.Vm, driver.Capabilities.Filesystem);
        Assert.True(driver.Capabilities.RunsImages);
        Assert.True(driver.Capabilities.Recover);
    }

    [Fact]
    public async Task A_task_runs_in_its_own_kernel_with_its_cpus_memory_environment_and_exit_code()
    {
        var driver = fixture.NewDriver();
        var output = new CollectingOutput();
        var spec = Spec([
            "sh",
            "-c",
            "uname -r; nproc; grep MemTotal /proc/meminfo; hostname; echo \"token=$TOKEN\"; echo oops >&2; echo left > /mark; exit 3",
        ]) with
        {
            Environment = new Dictionary<string, string> { ["TOKEN"] = "s3cret" },
            Limits = new ResourceLimits(Cpus: 2, MemoryBytes: 192L << 20),
        };
        SandboxExit exit;
        await using (var sandbox = await driver.StartAsync(spec, output, CancellationToken.None))
        {
            exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        }
        Assert.Equal(3, exit.ExitCode);
        var lines = output.Stdout.ToList();
        Assert.True(lines.Count == 5, string.Join(" | ", lines));
        Assert.EndsWith("-cloud-amd64", lines[0]);
        Assert.NotEqual(Environment.OSVersion.Version.ToString(), lines[0]);
        Assert.NotEqual((await Tools.RunAsync("uname", "-r")).Trim(), lines[0]);
        Assert.Equal("2", lines[1]);
        var memTotalKib = long.Parse(lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.InRange(memTotalKib, 120 * 1024, 192 * 1024);
        Assert.Equal(spec.SandboxId, lines[3]);
        Assert.Equal("token=s3cret", lines[4]);
        Assert.Equal("oops", output.Stderr);
        AssertNothingLeft(spec);

        // The next task boots a fresh overlay on the same base disk: the file the last one wrote is not there.
        var next = new CollectingOutput();
        var second = Spec(["sh", "-c", "cat /mark || echo absent"]);
        await using (var sandbox = await driver.StartAsync(second, next, CancellationToken.None))
        {
            Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
        }
        Assert.Equal(["absent"], next.Stdout);
        AssertNothingLeft(second);
    }

    [Fact]
    public async Task Stop_sends_the_signal_into_the_guest_then_cuts_the_power_after_the_grace()
    {
        var driver = fixture.NewDriver();
        var output = new CollectingOutput();
        // The shell ignores TERM: only the power cut after the grace ends it.
        var spec = Spec(["sh", "-c", "trap 'echo got TERM' TERM; echo ready; while :; do sleep 1; done"]);
        await using (var sandbox = await driver.StartAsync(spec, output, CancellationToken.None))
        {
            await output.WaitForLineAsync("ready", Timeout);
            await sandbox
                .StopAsync(StopSignal.Terminate, TimeSpan.FromSeconds(8), CancellationToken.None)
                .WaitAsync(Timeout);
            var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(137, exit.ExitCode);
            Assert.Equal(9, exit.Signal);
            Assert.Contains("got TERM", output.Stdout);
        }
        AssertNothingLeft(spec);
    }

    [Fact]
    public async Task A_vm_outlives_its_driver_and_is_recovered_from_its_handle()
    {
        var output = new CollectingOutput();
        var spec = Spec(["sh", "-c", "echo before; sleep 4; echo after; exit 5"]);
        var first = await fixture.NewDriver().StartAsync(spec, output, CancellationToken.None);
        await output.WaitForLineAsync("before", Timeout);
        var handle = first.Handle;
        Assert.Equal("microvm", handle.Driver);
        Assert.Contains("qemu_pid", handle.State.Keys);

        // A new driver (an agent after a restart) finds the VM from the handle alone and follows it from where the
        // first stopped reading.
        var again = new CollectingOutput();
        var cursor = new OutputCursor(await LengthAsync(first, OutputStream.Stdout), 0);
        await using (
            var recovered = await fixture.NewDriver().RecoverAsync(handle, again, cursor, CancellationToken.None)
        )
        {
            var exit = await recovered.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.Equal(5, exit.ExitCode);
            Assert.Equal(["after"], again.Stdout);
        }
        AssertNothingLeft(spec);
        await first.DisposeAsync();
    }

    [Fact]
    public async Task A_workspace_is_the_vms_working_directory_and_what_the_task_left_in_it_comes_back_to_the_host()
    {
        var workspace = fixture.NewDirectory("hws");
        await File.WriteAllTextAsync(Path.Combine(workspace, "in.txt"), "from the host\n");
        await File.WriteAllTextAsync(Path.Combine(workspace, "gone.txt"), "deleted in the VM\n");
        Directory.CreateDirectory(Path.Combine(workspace, "sub"));
        await File.WriteAllTextAsync(Path.Combine(workspace, "sub", "kept"), "kept\n");
        var output = new CollectingOutput();
        var spec = Spec([
            "sh",
            "-c",
            "pwd; cat in.txt; rm gone.txt; mkdir dist; echo built > dist/out.txt; ln -s dist/out.txt link",
        ]) with
        {
            WorkspaceDirectory = workspace,
        };
        await using (var sandbox = await driver().StartAsync(spec, output, CancellationToken.None))
        {
            var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
            Assert.True(exit.ExitCode == 0, string.Join(" | ", output.Stdout) + " / " + output.Stderr);
        }
        Assert.Equal(["/workspace", "from the host"], output.Stdout);
        var files = Directory
            .EnumerateFileSystemEntries(workspace, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(workspace, f))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["dist", "dist/out.txt", "in.txt", "link", "sub", "sub/kept"], files);
        Assert.Equal("built\n", await File.ReadAllTextAsync(Path.Combine(workspace, "dist", "out.txt")));
        Assert.Equal("dist/out.txt", new FileInfo(Path.Combine(workspace, "link")).LinkTarget);
        Assert.Equal("kept\n", await File.ReadAllTextAsync(Path.Combine(workspace, "sub", "kept")));
        AssertNothingLeft(spec);
        Assert.Empty(
            Directory.GetFileSystemEntries(Path.GetDirectoryName(workspace)!, Path.GetFileName(workspace) + ".vm-*")
        );

        MicroVmDriver driver() => fixture.NewDriver();
    }

    private static async Task<long> LengthAsync(ISandbox sandbox, OutputStream stream) =>
        (await sandbox.InspectAsync(CancellationToken.None)) is var status && stream == OutputStream.Stdout
            ? status.StdoutBytes
            : status.StderrBytes;

    private SandboxSpec Spec(IReadOnlyList<string> command)
    {
        var id = "vm" + Guid.NewGuid().ToString("N")[..10];
        return new SandboxSpec
        {
            SandboxId = id,
            Command = command,
            Image = fixture.Image,
            ScratchRoot = fixture.NewDirectory("hvm"),
            StateDirectory = Path.Combine(fixture.NewDirectory("hvs"), id),
        };
    }

    /// <summary>No QEMU or monitor with the sandbox's mark, no overlay, socket or log, no records.</summary>
    private static void AssertNothingLeft(SandboxSpec spec)
    {
        Assert.False(
            Directory.Exists(Path.Combine(spec.ScratchRoot, spec.SandboxId)),
            "the scratch directory (overlay, socket) is left"
        );
        Assert.False(Directory.Exists(spec.StateDirectoryOrDefault), "the records are left");
        var mark = $"HEARTH_SANDBOX={spec.SandboxId}";
        foreach (var environ in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(environ, "environ"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            Assert.DoesNotContain(mark, text.Split('\0'));
        }
    }
}
