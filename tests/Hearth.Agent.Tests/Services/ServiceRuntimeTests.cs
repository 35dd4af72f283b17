using Hearth.Agent.Services;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Agent.Tests.Services;

/// <summary>
/// How a replica's assignment becomes its sandbox: networks, host name, volumes, binds, tmpfs, files.
/// </summary>
public sealed class ServiceRuntimeTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("hearth-svc-").FullName;

    [Fact]
    public async Task A_replica_gets_scoped_networks_its_volume_directory_tmpfs_allowed_binds_and_its_files()
    {
        var bindRoot = Directory.CreateDirectory(Path.Combine(_state, "binds")).FullName;
        await using var runtime = NewRuntime([bindRoot]);
        var lease = Lease(
            new ServiceReplicaSpec
            {
                Project = "shop",
                Service = "db",
                Replica = 2,
                DefinitionHash = "h",
                Hostname = "db-host",
                Networks =
                [
                    new ServiceNetworkAttachment("back", ["database"]),
                    new ServiceNetworkAttachment("front", []),
                ],
                Mounts =
                [
                    new ServiceMount(ServiceMountKind.Volume, "data", "/var/lib/db", false),
                    new ServiceMount(ServiceMountKind.Bind, Path.Combine(bindRoot, "conf"), "/conf", true),
                    new ServiceMount(ServiceMountKind.Tmpfs, null, "/tmp", false, 1 << 20),
                ],
                Files =
                [
                    new ServiceFile("/run/secrets/pw", "db-password", null, 0x100),
                    new ServiceFile("/etc/db.conf", null, "x=1"),
                ],
            }
        ) with
        {
            SecretFiles = new Dictionary<string, string> { ["/run/secrets/pw"] = "hunter2" },
        };

        var replica = runtime.Prepare(lease, BaseSpec());
        var spec = replica.Spec;
        Assert.Equal(["shop_back", "shop_front"], spec.Networks.Select(n => n.Name));
        Assert.False(spec.Network);
        Assert.True(spec.GatewayDns);
        Assert.NotNull(spec.NetworksReady);
        Assert.Equal("db-host", spec.Hostname);
        var volume = Path.Combine(_state, "volumes", "shop_data", "data");
        Assert.Equal(
            [
                new SandboxMount(SandboxMountKind.Bind, volume, "/var/lib/db"),
                new SandboxMount(SandboxMountKind.Bind, Path.Combine(bindRoot, "conf"), "/conf", true),
                new SandboxMount(SandboxMountKind.Tmpfs, null, "/tmp", false, 1 << 20),
            ],
            spec.Mounts
        );
        Assert.True(Directory.Exists(volume));
        Assert.Equal(
            [("/run/secrets/pw", "hunter2", 0x100), ("/etc/db.conf", "x=1", 0x124)],
            spec.Files.Select(f => (f.Target, System.Text.Encoding.UTF8.GetString(f.Content), f.Mode))
        );
        Assert.DoesNotContain("hunter2", spec.Files[0].ToString());
        Assert.Equal(["db", "db-2", "shop-db-2", "database", "db-host"], replica.NamesOn(lease.Service!.Networks[0]));

        // Volumes stay until removed, and only marked ones are listed.
        await File.WriteAllTextAsync(Path.Combine(volume, "row"), "1");
        runtime.Prepare(lease, BaseSpec());
        Assert.Equal("1", await File.ReadAllTextAsync(Path.Combine(volume, "row")));
        Directory.CreateDirectory(Path.Combine(_state, "volumes", "stranger"));
        Assert.Equal([("shop", "data")], runtime.Volumes.List());
        Assert.True(runtime.Volumes.Remove("shop", "data"));
        Assert.False(Directory.Exists(volume));
        Assert.False(runtime.Volumes.Remove("shop", "data"));
    }

    [Fact]
    public async Task A_bind_outside_the_allowed_roots_and_a_secret_without_its_value_are_refused_with_their_names()
    {
        await using var runtime = NewRuntime([]);
        var bind = Lease(
            new ServiceReplicaSpec
            {
                Project = "p",
                Service = "s",
                Replica = 1,
                DefinitionHash = "h",
                Mounts = [new ServiceMount(ServiceMountKind.Bind, "/etc", "/host-etc", true)],
            }
        );
        var refused = Assert.Throws<SandboxStartException>(() => runtime.Prepare(bind, BaseSpec()));
        Assert.Equal(
            "bind /etc -> /host-etc: this agent allows no bind mounts of host paths (its operator lists the roots it allows)",
            refused.Message
        );

        var secret = Lease(
            new ServiceReplicaSpec
            {
                Project = "p",
                Service = "s",
                Replica = 1,
                DefinitionHash = "h",
                Files = [new ServiceFile("/run/secrets/k", "api-key", null)],
            }
        );
        refused = Assert.Throws<SandboxStartException>(() => runtime.Prepare(secret, BaseSpec()));
        Assert.Equal("secret api-key for /run/secrets/k: the server sent no value", refused.Message);

        // A replica on no network keeps what its request asked for.
        var plain = runtime.Prepare(
            Lease(
                new ServiceReplicaSpec
                {
                    Project = "p",
                    Service = "s",
                    Replica = 1,
                    DefinitionHash = "h",
                }
            ),
            BaseSpec() with
            {
                Network = true,
            }
        );
        Assert.True(plain.Spec.Network);
        Assert.False(plain.Spec.GatewayDns);
    }

    private ServiceRuntime NewRuntime(IReadOnlyList<string> bindRoots) =>
        new(
            new AgentApiClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1/") }),
            _state,
            TimeProvider.System,
            NullLogger.Instance,
            new ServiceRuntimeOptions { BindRoots = bindRoots, Upstreams = [] }
        );

    private static Assignment Lease(ServiceReplicaSpec service) =>
        new(
            "t1",
            "r1",
            TaskKind.Command,
            1,
            1,
            DateTimeOffset.UnixEpoch,
            [],
            new Dictionary<string, string>(),
            new SandboxRequest("oci", "img", null, false, [], null, null, null)
        )
        {
            Service = service,
        };

    private static SandboxSpec BaseSpec() =>
        new()
        {
            SandboxId = "sb",
            Command = [],
            ScratchRoot = "/tmp/x",
        };

    public void Dispose() => Directory.Delete(_state, recursive: true);
}
