using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// A compose service's container settings (cap_add, cap_drop, sysctls, user, working_dir, read_only) in real containers
/// (runc, busybox), on a private bridge, with and without a user namespace.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class ContainerSettingsTests(RegistryFixture registry, NetworkFixture network)
    : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const int Chown = 0,
        NetAdmin = 12;

    private OciDriver NewDriver(IdMapping? userNamespace, IReadOnlyList<string>? allowed = null) =>
        new(
            new OciDriverOptions
            {
                StateRoot = registry.NewDirectory("hearth-runc-state"),
                Network = network.Options,
                UserNamespace = userNamespace,
                AllowedCapabilities = allowed,
            },
            registry.NewStore(),
            TimeProvider.System
        );

    private SandboxSpec Spec(IReadOnlyList<string> command, ContainerSettings settings) =>
        new()
        {
            SandboxId = network.NewId(),
            Image = registry.BusyboxRef,
            Command = command,
            Network = true,
            Container = settings,
            Mounts = [new SandboxMount(SandboxMountKind.Tmpfs, null, "/data")],
            ScratchRoot = Path.Combine(registry.NewDirectory("hearth-scratch"), "s"),
        };

    private static async Task<(SandboxExit Exit, CollectingOutput Output)> RunAsync(OciDriver driver, SandboxSpec spec)
    {
        var output = new CollectingOutput();
        await using var sandbox = await driver.StartAsync(spec, output, CancellationToken.None);
        var exit = await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        return (exit, output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Added_and_dropped_capabilities_sysctls_working_dir_and_a_read_only_root_hold_inside(
        bool userNamespace
    )
    {
        var driver = NewDriver(userNamespace ? new IdMapping(100000, 65536) : null, ["NET_ADMIN"]);
        await driver.Network.EnsureAsync(CancellationToken.None);
        var settings = new ContainerSettings
        {
            CapAdd = ["NET_ADMIN"],
            CapDrop = ["CHOWN"],
            Sysctls = new Dictionary<string, string> { ["net.ipv4.ip_forward"] = "1", ["kernel.shmmax"] = "65536" },
            WorkingDir = "/etc",
            ReadOnlyRoot = true,
        };
        var (exit, output) = await RunAsync(
            driver,
            Spec(
                [
                    "sh",
                    "-c",
                    """
                    grep CapEff /proc/self/status; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax; pwd
                    touch /x 2>/dev/null && echo root-writable || echo root-read-only
                    touch /data/y && echo data-writable
                    chown 1 /tmp 2>/dev/null && echo chowned || echo no-chown
                    busybox ip link set lo mtu 1280 2>/dev/null && echo mtu-set || echo no-mtu
                    """,
                ],
                settings
            )
        );

        Assert.True(exit.ExitCode == 0, output.Stderr);
        var lines = output.Stdout.ToList();
        var effective = Convert.ToUInt64(lines[0].Split(':')[1].Trim(), 16);
        Assert.Equal((true, false), ((effective & (1UL << NetAdmin)) != 0, (effective & (1UL << Chown)) != 0));
        // NET_ADMIN acts on the network namespace only where the container's root is the host's: the agent makes that
        // namespace as the host's root, so in a user namespace of its own the container does not own it
        // (docs/services.md).
        Assert.Equal(
            ["1", "65536", "/etc", "root-read-only", "data-writable", "no-chown", userNamespace ? "no-mtu" : "mtu-set"],
            lines[1..]
        );
    }

    [Fact]
    public async Task A_user_by_name_and_group_runs_the_command_and_what_the_agent_does_not_allow_is_refused()
    {
        var driver = NewDriver(null);
        var (exit, output) = await RunAsync(
            driver,
            Spec(
                ["sh", "-c", "id -u; id -g; pwd; cat /proc/self/status | grep CapEff"],
                new ContainerSettings { User = "app:staff", WorkingDir = "/srv/app" }
            ) with
            {
                Network = false,
            }
        );
        Assert.True(exit.ExitCode == 0, output.Stderr);
        Assert.Equal(["1000", "50", "/srv/app", "CapEff:\t0000000000000000"], output.Stdout);

        var ghost = await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync(driver, Spec(["true"], new ContainerSettings { User = "ghost" }) with { Network = false })
        );
        Assert.Equal("user 'ghost' is not in the image's /etc/passwd", ghost.Message);

        // The server places by the set the agent advertises; the agent still refuses what is beyond it.
        var refused = await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync(
                driver,
                Spec(["true"], new ContainerSettings { CapAdd = ["NET_ADMIN", "SYS_MODULE"] }) with
                {
                    Network = false,
                }
            )
        );
        Assert.StartsWith(
            "capability NET_ADMIN, SYS_MODULE is not allowed on this agent (it allows CHOWN,",
            refused.Message
        );
        // Settings the server should have refused are refused again, with the server's words.
        var host = await Assert.ThrowsAsync<SandboxStartException>(() =>
            RunAsync(
                driver,
                Spec(
                    ["true"],
                    new ContainerSettings { Sysctls = new Dictionary<string, string> { ["vm.swappiness"] = "10" } }
                ) with
                {
                    Network = false,
                }
            )
        );
        Assert.StartsWith("sysctls.vm.swappiness: not namespaced", host.Message);
        Assert.Equal(
            "CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,SETGID,SETUID,SETPCAP,NET_BIND_SERVICE,SYS_CHROOT,SETFCAP,AUDIT_WRITE,MKNOD",
            driver.Fingerprint().Attributes[LinuxCapabilities.AllowedLabel]
        );
    }
}
