using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// /dev/shm as docker makes it: a tmpfs on the host (its size the service's shm_size, 64 MiB by default) bound into the
/// container, and into a container that joins its IPC namespace (compose's <c>ipc: service:X</c>), so POSIX shared
/// memory (files in /dev/shm, which is what shm_open makes) is shared as SysV IPC is; a container that joins nobody has
/// its own. The host mount goes with the sandbox and is found again, once, after a restart of the agent. Real runc and
/// crun, busybox; again in a user namespace (<see cref="SharedShmUserNamespaceTests"/>).
/// </summary>
[Collection(RegistryCollection.Name)]
public class SharedShmTests(RegistryFixture registry)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private const string Size = "busybox df -k /dev/shm | busybox awk 'NR==2{print \"size\", $2}'";

    protected virtual IdMapping? UserNamespace => null;

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task A_joiner_shares_the_owners_dev_shm_others_have_their_own_and_shm_size_holds(string runtime)
    {
        var (driver, options, _) = NewDriver(runtime);
        var scratch = Path.Combine(registry.NewDirectory("hearth-scratch"), "s");
        var ownerOutput = new CollectingOutput();
        var owner = await driver.StartAsync(
            Spec(
                scratch,
                "echo from-owner > /dev/shm/seg && busybox dd if=/dev/zero of=/dev/shm/region bs=4096 count=2 2>/dev/null"
                    + $" && {Size} && echo ready && exec sleep 600"
            ) with
            {
                Container = new ContainerSettings { ShmSizeBytes = 8L << 20 },
            },
            ownerOutput,
            CancellationToken.None
        );
        var shm = ShmOnHost(options, scratch, owner.Handle.SandboxId);
        try
        {
            await Poll.UntilAsync(() => ownerOutput.Stdout.Contains("ready"), Timeout, "the owner's start");
            Assert.Equal(["size 8192", "ready"], ownerOutput.Stdout);

            // On the host: one tmpfs, mode 1777, nosuid, nodev and noexec, holding what the container wrote.
            var mount = Assert.Single(MountInfo(), m => m.Point == shm);
            Assert.Equal("tmpfs", mount.Type);
            Assert.All(new[] { "nosuid", "nodev", "noexec" }, o => Assert.Contains(o, mount.Options));
            Assert.Equal("from-owner\n", await File.ReadAllTextAsync(Path.Combine(shm, "seg")));
            var root = UserNamespace?.HostIdBase ?? 0;
            Assert.Equal($"{root}:{root}", await Tools.OwnerAsync(shm));
            Assert.Equal(
                UnixFileMode.StickyBit | (UnixFileMode)0x1ff,
                File.GetUnixFileMode(shm) & (UnixFileMode.StickyBit | (UnixFileMode)0x1ff)
            );

            // The joiner reads the owner's segment and writes into its second page, as shm_open and mmap would.
            var joinerOutput = new CollectingOutput();
            await using (
                var joiner = await driver.StartAsync(
                    Spec(
                        scratch,
                        "cat /dev/shm/seg && printf from-joiner | busybox dd of=/dev/shm/region bs=4096 seek=1 "
                            + $"conv=notrunc 2>/dev/null && {Size}"
                    ) with
                    {
                        IpcOf = owner.Handle.SandboxId,
                    },
                    joinerOutput,
                    CancellationToken.None
                )
            )
            {
                var exit = await joiner.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
                Assert.True(exit.ExitCode == 0, joinerOutput.Stderr);
            }
            Assert.Equal(["from-owner", "size 8192"], joinerOutput.Stdout);
            var read = new CollectingOutput();
            var readExit = await owner.ExecAsync(
                ["sh", "-c", "busybox dd if=/dev/shm/region bs=4096 skip=1 count=1 2>/dev/null | busybox head -c 11"],
                read,
                CancellationToken.None
            );
            Assert.Equal(0, readExit.ExitCode);
            Assert.Equal(["from-joiner"], read.Stdout);

            // A container that joins nobody has a /dev/shm of its own, empty, of the default size (64 MiB).
            var (otherExit, other) = await RunAsync(driver, Spec(scratch, $"ls -A /dev/shm | busybox wc -l && {Size}"));
            Assert.True(otherExit.ExitCode == 0, other.Stderr);
            Assert.Equal(["0", "size 65536"], other.Stdout);
            Assert.Single(MountInfo(), m => m.Point == shm);
        }
        finally
        {
            await owner.DisposeAsync();
        }
        Assert.DoesNotContain(MountInfo(), m => m.Point == shm);
        Assert.False(Directory.Exists(shm), $"{shm} is left");
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task After_a_restart_of_the_agent_the_dev_shm_is_kept_once_joined_and_removed_with_the_sandbox(
        string runtime
    )
    {
        var (driver, options, store) = NewDriver(runtime);
        var scratch = Path.Combine(registry.NewDirectory("hearth-scratch"), "s");
        var ownerOutput = new CollectingOutput();
        var original = await driver.StartAsync(
            Spec(scratch, "echo kept > /dev/shm/seg && echo ready && exec sleep 600"),
            ownerOutput,
            CancellationToken.None
        );
        var shm = ShmOnHost(options, scratch, original.Handle.SandboxId);
        await Poll.UntilAsync(() => ownerOutput.Stdout.Contains("ready"), Timeout, "the owner's start");

        // Another driver, as an agent started again has: it recovers the container and mounts nothing again.
        var again = new OciDriver(options, store, TimeProvider.System);
        var recovered = await again.RecoverAsync(
            original.Handle,
            new CollectingOutput(),
            OutputCursor.Start,
            CancellationToken.None
        );
        try
        {
            Assert.Single(MountInfo(), m => m.Point == shm);
            var (exit, joiner) = await RunAsync(
                again,
                Spec(scratch, "cat /dev/shm/seg") with
                {
                    IpcOf = original.Handle.SandboxId,
                }
            );
            Assert.True(exit.ExitCode == 0, joiner.Stderr);
            Assert.Equal(["kept"], joiner.Stdout);
            Assert.Single(MountInfo(), m => m.Point == shm);
        }
        finally
        {
            await recovered.DisposeAsync();
            await original.DisposeAsync();
        }
        Assert.DoesNotContain(MountInfo(), m => m.Point == shm);
        Assert.False(Directory.Exists(shm), $"{shm} is left");
    }

    /// <summary>Where the driver mounts a sandbox's /dev/shm on the host, beside its rootfs.</summary>
    private static string ShmOnHost(OciDriverOptions options, string scratch, string sandboxId) =>
        options.UserNamespace is null
            ? Path.Combine(Path.GetFullPath(scratch), sandboxId, "bundle", "shm")
            : Path.Combine(options.UserNamespaceMountRoot, sandboxId, "shm");

    private static List<(string Point, string Type, string[] Options)> MountInfo() =>
        File.ReadLines("/proc/self/mountinfo")
            .Select(line =>
            {
                var fields = line.Split(' ');
                var separator = Array.IndexOf(fields, "-");
                return (fields[4], fields[separator + 1], fields[5].Split(','));
            })
            .ToList();

    private (OciDriver Driver, OciDriverOptions Options, ImageStore Store) NewDriver(string runtime)
    {
        var options = new OciDriverOptions
        {
            Runtime = runtime,
            StateRoot = registry.NewDirectory($"hearth-{runtime}-state"),
            FixHybridCgroupsForCrun = runtime == "crun",
            UserNamespace = UserNamespace,
        };
        var store = registry.NewStore();
        return (new OciDriver(options, store, TimeProvider.System), options, store);
    }

    private SandboxSpec Spec(string scratch, string script) =>
        new()
        {
            SandboxId = Tools.NewSandboxId(),
            Image = registry.BusyboxRef,
            Command = ["sh", "-c", script],
            ScratchRoot = scratch,
        };

    private static async Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(OciDriver driver, SandboxSpec spec)
    {
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(spec, output, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        return (exit, output);
    }
}

/// <summary>
/// <see cref="SharedShmTests"/> with each container in a user namespace (host ids 100000..165535): the host's tmpfs
/// belongs to the container's root and lies below the user-namespace mount root, where the runtime can reach it.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class SharedShmUserNamespaceTests(RegistryFixture registry) : SharedShmTests(registry)
{
    protected override IdMapping? UserNamespace => new(100000, 65536);
}
