using Hearth.Core.Services;
using Hearth.Sandbox;

namespace Hearth.Agent.Tests.Services;

/// <summary>
/// A replica's record keeps its service part, so the agent after a restart gets its DNS and health checks back.
/// </summary>
public sealed class ReplicaRecordTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("hearth-rec-").FullName;

    [Fact]
    public void A_replicas_record_round_trips_its_service_part_without_secret_values()
    {
        var journal = new SandboxJournal(_state);
        var service = new ServiceReplicaSpec
        {
            Project = "shop",
            Service = "db",
            Replica = 1,
            DefinitionHash = "abc",
            Hostname = "db",
            Networks = [new ServiceNetworkAttachment("back", ["database"])],
            Mounts = [new ServiceMount(ServiceMountKind.Tmpfs, null, "/tmp", false, 1024)],
            Files = [new ServiceFile("/run/secrets/pw", "db-password", null, 0x100)],
            HealthCheck = new HealthCheckSpec(
                ["pg_isready"],
                TimeSpan.FromSeconds(5),
                TimeSpan.FromSeconds(2),
                3,
                TimeSpan.FromSeconds(10),
                TimeSpan.FromSeconds(1)
            ),
        };
        var handle = new SandboxHandle(
            "oci",
            "0123456789ab-t-a1-e1",
            2,
            new Dictionary<string, string> { ["addresses"] = "shop_back\t10.89.0.2\t10.89.0.1" }
        );
        journal.Save(
            new SandboxRecord("t", "r", 1, 1, handle, DateTimeOffset.UnixEpoch, null, LogCheckpoint.Start)
            {
                Service = service,
            }
        );

        var loaded = Assert.Single(journal.Load().Records).Service!;
        Assert.Equal(("shop", "db", 1, "db"), (loaded.Project, loaded.Service, loaded.Replica, loaded.Hostname));
        Assert.Equal(["database"], Assert.Single(loaded.Networks).Aliases);
        Assert.Equal(ServiceMountKind.Tmpfs, Assert.Single(loaded.Mounts).Kind);
        Assert.Equal(service.HealthCheck, loaded.HealthCheck! with { Test = service.HealthCheck!.Test });
        Assert.Equal(["pg_isready"], loaded.HealthCheck!.Test);
        Assert.Equal(("db-password", (string?)null), (loaded.Files[0].SecretName, loaded.Files[0].Content));
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);
}
