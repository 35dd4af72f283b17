using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// A container with a fixed address on a network with a declared subnet (compose's ipam and ipv4_address), and one that
/// joins its network and IPC namespaces (network_mode / ipc: service:X) and mounts its volume read-only (volumes_from
/// X:ro, which the agent turns into the same host directory): real runc and crun, busybox.
/// </summary>
[Collection(RegistryCollection.Name)]
public class SharedNamespacesTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task A_fixed_address_is_the_containers_and_a_joined_one_has_its_interfaces_loopback_ipc_and_volume_read_only(
        string runtime
    )
    {
        var driver = new OciDriver(
            new OciDriverOptions
            {
                Runtime = runtime,
                StateRoot = registry.NewDirectory($"hearth-{runtime}-state"),
                FixHybridCgroupsForCrun = runtime == "crun",
                Network = network.Options,
            },
            registry.NewStore(),
            TimeProvider.System
        );
        var scratch = Path.Combine(registry.NewDirectory("hearth-scratch"), "s");
        var volume = registry.NewDirectory("hearth-volume");
        var net = "p" + network.NewId()[^6..] + "_net";
        var prefix = $"172.{Random.Shared.Next(16, 32)}.{Random.Shared.Next(0, 256)}";
        var fixedAddress = prefix + ".7";
        const string addresses = "busybox ip -4 -o addr | busybox awk '{print \"addr\", $2, $4}'";
        var ownerOutput = new CollectingOutput();
        var owner = await driver.StartAsync(
            Spec(
                network.NewId(),
                scratch,
                "mkdir -p /tmp/www && hostname > /tmp/www/index.html && echo kept > /data/file && "
                    + $"echo ipc $(readlink /proc/self/ns/ipc) && echo net $(readlink /proc/self/ns/net) && {addresses} && "
                    + "exec busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www"
            ) with
            {
                Networks = [new SandboxNetwork(net, prefix + ".0/24", fixedAddress)],
                Hostname = "owner",
                Mounts = [new SandboxMount(SandboxMountKind.Bind, volume, "/data")],
            },
            ownerOutput,
            CancellationToken.None
        );
        try
        {
            await Poll.UntilAsync(
                () => ownerOutput.Stdout.Count(l => l.StartsWith("addr ")) == 2,
                Timeout,
                "the owner's addresses"
            );

            var joinerOutput = new CollectingOutput();
            await using (
                var joiner = await driver.StartAsync(
                    Spec(
                        network.NewId(),
                        scratch,
                        $"echo ipc $(readlink /proc/self/ns/ipc) && echo net $(readlink /proc/self/ns/net) && {addresses} && "
                            + "busybox wget -q -O - http://127.0.0.1:8080/ && cat /data/file && "
                            + "(echo no > /data/other) 2>/dev/null; echo write=$? && busybox grep -c owner /etc/hosts"
                    ) with
                    {
                        NetworkOf = owner.Handle.SandboxId,
                        IpcOf = owner.Handle.SandboxId,
                        Mounts = [new SandboxMount(SandboxMountKind.Bind, volume, "/data", ReadOnly: true)],
                        // Lands in the owner's network namespace, which the joiner shares.
                        Container = new ContainerSettings
                        {
                            Sysctls = new Dictionary<string, string> { ["net.ipv4.tcp_keepalive_time"] = "1234" },
                        },
                    },
                    joinerOutput,
                    CancellationToken.None
                )
            )
            {
                var exit = await joiner.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
                Assert.True(exit.ExitCode == 0, joinerOutput.Stderr);
            }

            // The same namespaces, the owner's eth0 and address (its only one on the project network), its loopback
            // server, its /etc/hosts; the volume read-only.
            var ownerLines = ownerOutput.Stdout.ToList();
            Assert.Equal(
                [
                    ownerLines.Single(l => l.StartsWith("ipc ")),
                    ownerLines.Single(l => l.StartsWith("net ")),
                    "addr lo 127.0.0.1/8",
                    ownerLines.Single(l => l.StartsWith("addr eth0 ")),
                    "owner",
                    "kept",
                    "write=1",
                    "1",
                ],
                joinerOutput.Stdout
            );
            Assert.Equal(fixedAddress, owner.Addresses.Single().Address);
            Assert.Equal(
                "1234",
                (
                    await Tools.RunAsync(
                        "ip",
                        "netns",
                        "exec",
                        "hearth-" + owner.Handle.SandboxId,
                        "cat",
                        "/proc/sys/net/ipv4/tcp_keepalive_time"
                    )
                ).Trim()
            );
            Assert.Equal($"addr eth0 {fixedAddress}/24", ownerLines.Single(l => l.StartsWith("addr eth0 ")));
            Assert.Equal(prefix + ".0/24", driver.NamedNetworks.List().Single(n => n.Name == net).Subnet);
            Assert.False(File.Exists(Path.Combine(volume, "other")));
            Assert.Equal(SandboxPhase.Running, (await owner.InspectAsync(CancellationToken.None)).Phase);
        }
        finally
        {
            await owner.DisposeAsync();
        }
        Assert.DoesNotContain(driver.NamedNetworks.List(), n => n.Name == net);

        var gone = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(
                Spec(network.NewId(), scratch, "true") with
                {
                    NetworkOf = owner.Handle.SandboxId,
                },
                new CollectingOutput(),
                CancellationToken.None
            )
        );
        Assert.Equal(
            $"cannot join its network: container {owner.Handle.SandboxId} is not running on this agent",
            gone.Message
        );
    }

    private SandboxSpec Spec(string id, string scratch, string script) =>
        new()
        {
            SandboxId = id,
            Image = registry.BusyboxRef,
            Command = ["sh", "-c", script],
            ScratchRoot = scratch,
        };
}
