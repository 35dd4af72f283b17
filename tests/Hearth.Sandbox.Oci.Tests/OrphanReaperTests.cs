using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Reaping;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;
using Hearth.Sandbox.Reaping;
using static Hearth.Sandbox.Oci.Tests.Support.Tools;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The orphan reaper against the real thing: sandboxes started by the real drivers (an oci container with a network, a
/// published port and a memory limit; a process-driver command in its cgroups) whose agent "died" (nobody disposes
/// them) are orphans of every kind at once: processes, a container, an overlay mount and a /dev/shm tmpfs, cgroups, a
/// network namespace, a veth, an nftables element and its allocation, a named network's bridge left empty, an image
/// lease, scratch directories. Sandboxes of the same owner that are live, and sandboxes of another owner, are planted
/// beside them the same way and must survive.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class OrphanReaperTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_kind_of_orphan_is_removed_in_order_live_and_foreign_sandboxes_are_kept_and_a_dry_run_removes_nothing()
    {
        var store = registry.NewStore();
        var ociOptions = new OciDriverOptions
        {
            StateRoot = registry.NewDirectory("hearth-runc-state"),
            Network = network.Options,
        };
        var oci = new OciDriver(ociOptions, store, TimeProvider.System);
        var process = new ProcessDriver();
        var scratch = Path.Combine(registry.NewDirectory("hearth-scratch"), "agent");
        var foreignScratch = Path.Combine(registry.NewDirectory("hearth-scratch"), "other-agent");
        var port = Tools.FreePort();

        var (orphanContainer, orphanProcess, liveContainer, liveProcess, foreignProcess) = (
            NewSandboxId(),
            NewSandboxId(),
            NewSandboxId(),
            NewSandboxId(),
            NewSandboxId()
        );
        var live = new List<ISandbox>();
        var reaper = new OrphanReaper(
            Sources(ociOptions, store),
            scratch,
            new FixedLiveSandboxes([liveContainer, liveProcess])
        );
        try
        {
            // Never disposed: their agent is gone.
            await oci.StartAsync(
                Container(orphanContainer, scratch, port),
                new CollectingOutput(),
                CancellationToken.None
            );
            // A named network whose last sandbox (of the orphan's family) vanished without leaving it: its bridge
            // stays, empty.
            var orphanNetwork = "orphan_" + orphanContainer[^6..];
            var joined = await oci.NamedNetworks.AttachAsync(
                orphanNetwork,
                orphanContainer + "-net",
                [],
                null,
                "eth0",
                false,
                CancellationToken.None
            );
            await Tools.RunAsync("ip", "netns", "del", joined.NamespaceName);
            var orphanBridge = oci.NamedNetworks.List().Single(n => n.Name == orphanNetwork).Bridge;
            await process.StartAsync(Sleeper(orphanProcess, scratch), new CollectingOutput(), CancellationToken.None);
            live.Add(
                await oci.StartAsync(
                    Container(liveContainer, scratch, Tools.FreePort()),
                    new CollectingOutput(),
                    CancellationToken.None
                )
            );
            live.Add(
                await process.StartAsync(Sleeper(liveProcess, scratch), new CollectingOutput(), CancellationToken.None)
            );
            live.Add(
                await process.StartAsync(
                    Sleeper(foreignProcess, foreignScratch),
                    new CollectingOutput(),
                    CancellationToken.None
                )
            );
            var address = (await oci.Network.ListAsync(CancellationToken.None))
                .Single(a => a.SandboxId == orphanContainer)
                .Address;
            var veth = "hv" + string.Concat(address.Split('.').Select(b => int.Parse(b).ToString("x2")));
            Assert.True(Directory.Exists($"/sys/class/net/{veth}"));
            var orphanPids = MarkedPids(orphanContainer).Concat(MarkedPids(orphanProcess)).ToList();
            Assert.NotEmpty(MarkedPids(orphanContainer));
            Assert.NotEmpty(MarkedPids(orphanProcess));
            Assert.Contains(port.ToString(), await NetworkFixture.NftMapAsync(network.Options.NftTable, "ports"));

            var dry = await reaper.ReapAsync(dryRun: true, CancellationToken.None);
            Assert.Empty(dry.Errors);
            Assert.All(dry.Resources, r => Assert.Equal(ReapOutcome.Found, r.Outcome));
            Assert.Equal(
                new[] { orphanContainer, orphanProcess }.Order(),
                dry.Resources.Select(r => SandboxMarks.FamilyOf(r.Resource.SandboxId)).Distinct().Order()
            );
            Assert.Equal(Enum.GetValues<ResourceKind>(), dry.Resources.Select(r => r.Resource.Kind).Distinct().Order());
            // The container's /dev/shm, a tmpfs on the host beside its rootfs, among its mounts.
            Assert.Contains(dry.Resources, r =>
                r.Resource is { Kind: ResourceKind.Mount } m
                && m.Name == Path.Combine(scratch, orphanContainer, "bundle", "shm")
                && m.SandboxId == orphanContainer
            );
            // Listed, not touched.
            Assert.All(orphanPids, pid =>
                Assert.True(Directory.Exists($"/proc/{pid}"), $"process {pid} was killed by a dry run")
            );
            Assert.True(File.Exists($"/run/netns/hearth-{orphanContainer}"));
            Assert.True(Directory.Exists(Path.Combine(scratch, orphanProcess)));

            var reaped = await reaper.ReapAsync(dryRun: false, CancellationToken.None);
            Assert.Empty(reaped.Errors);
            Assert.True(
                reaped.Failed == 0,
                string.Join(
                    "\n",
                    reaped.Resources.Where(r => r.Outcome == ReapOutcome.Failed).Select(r => $"{r.Resource}: {r.Error}")
                )
            );
            Assert.Equal(
                dry.Resources.Select(r => (r.Resource.Kind, r.Resource.Name)),
                reaped.Resources.Select(r => (r.Resource.Kind, r.Resource.Name))
            );
            // Processes first, directories last: nothing is removed while something still holds it.
            var kinds = reaped.Resources.Select(r => r.Resource.Kind).ToList();
            Assert.Equal(kinds.Order(), kinds);

            foreach (var id in new[] { orphanContainer, orphanProcess })
            {
                Assert.Empty(MarkedPids(id));
                Assert.False(Directory.Exists(Path.Combine(scratch, id)), $"scratch directory of {id} is left");
                Assert.Empty(CgroupsOf(id));
                Assert.DoesNotContain(MountTable.MountPoints(), p => p.Contains(id, StringComparison.Ordinal));
            }
            Assert.All(orphanPids, pid =>
                Assert.False(Directory.Exists($"/proc/{pid}") && !IsZombie(pid), $"process {pid} is alive")
            );
            Assert.False(
                Directory.Exists(Path.Combine(ociOptions.StateRoot, orphanContainer)),
                "the container is left in the runtime's state"
            );
            Assert.False(File.Exists($"/run/netns/hearth-{orphanContainer}"));
            Assert.DoesNotContain($" {port} ", await NetworkFixture.NftMapAsync(network.Options.NftTable, "ports"));
            Assert.DoesNotContain(await oci.Network.ListAsync(CancellationToken.None), a =>
                a.SandboxId == orphanContainer
            );
            Assert.False(File.Exists(Path.Combine(store.RootDirectory, "leases", orphanContainer)));
            Assert.False(Directory.Exists($"/sys/class/net/{veth}"), $"veth {veth} is left");
            Assert.False(Directory.Exists($"/sys/class/net/{orphanBridge}"), $"bridge {orphanBridge} is left");
            Assert.DoesNotContain(oci.NamedNetworks.List(), n => n.Name == orphanNetwork);

            // The live and the foreign sandboxes still run, with everything they hold.
            foreach (var id in new[] { liveContainer, liveProcess, foreignProcess })
                Assert.NotEmpty(MarkedPids(id));
            Assert.True(File.Exists($"/run/netns/hearth-{liveContainer}"));
            Assert.True(Directory.Exists(Path.Combine(ociOptions.StateRoot, liveContainer)));
            Assert.Contains(MountTable.MountPoints(), p =>
                p.StartsWith(Path.Combine(scratch, liveContainer) + "/", StringComparison.Ordinal)
            );
            Assert.NotEmpty(CgroupsOf(liveProcess));
            Assert.True(Directory.Exists(Path.Combine(foreignScratch, foreignProcess)));

            // Idempotent: a second pass finds nothing more.
            Assert.Empty((await reaper.ReapAsync(dryRun: false, CancellationToken.None)).Resources);
        }
        finally
        {
            // The live ones end as a task's would; whatever a failed assertion left is reaped for this owner and the
            // other.
            foreach (var sandbox in live)
                await sandbox.DisposeAsync();
            await new OrphanReaper(Sources(ociOptions, store), scratch, FixedLiveSandboxes.None).ReapAsync(
                false,
                CancellationToken.None
            );
            await new OrphanReaper(Sources(ociOptions, store), foreignScratch, FixedLiveSandboxes.None).ReapAsync(
                false,
                CancellationToken.None
            );
        }
    }

    private static IReadOnlyList<IOrphanSource> Sources(OciDriverOptions options, ImageStore store) =>
        [
            .. HostOrphanSources.Create(TimeProvider.System),
            .. OciOrphanSources.Create(options, store.RootDirectory, TimeProvider.System),
        ];

    /// <summary>A sandbox id as an agent makes one (RUNID-TASK-aATTEMPT-eEPOCH).</summary>
    private SandboxSpec Container(string id, string scratch, int port) =>
        new()
        {
            SandboxId = id,
            Image = registry.BusyboxRef,
            Command = ["sleep", "600"],
            Network = true,
            Ports = [new PortMapping("127.0.0.1", port, 80)],
            Limits = new ResourceLimits(MemoryBytes: 64 << 20),
            ScratchRoot = scratch,
        };

    private static SandboxSpec Sleeper(string id, string scratch) =>
        new()
        {
            SandboxId = id,
            Command = ["sleep", "600"],
            ScratchRoot = scratch,
        };

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

    /// <summary>The sandbox's cgroup directories in every hierarchy.</summary>
    private static List<string> CgroupsOf(string sandboxId) =>
        Directory
            .EnumerateDirectories(
                "/sys/fs/cgroup",
                sandboxId,
                new EnumerationOptions
                {
                    RecurseSubdirectories = true,
                    MaxRecursionDepth = 8,
                    IgnoreInaccessible = true,
                }
            )
            .ToList();
}
