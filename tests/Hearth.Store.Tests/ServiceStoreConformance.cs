using Hearth.Core.Services;
using Hearth.Store.Services;

namespace Hearth.Store.Tests;

/// <summary>The services' store behaves the same on SQLite and PostgreSQL.</summary>
public abstract class ServiceStoreConformance(TestDatabase database) : AreaStoreConformance<IServiceStore>(database)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-06T08:00:00Z");

    protected override Task<IServiceStore> OpenAsync(TestDatabase database) =>
        database.OpenAsync<IServiceStore>(cs => new PostgresServiceStore(cs), path => new SqliteServiceStore(path));

    private static ProjectSpec Shop(int replicas = 1) =>
        new()
        {
            Name = "shop",
            Services =
            [
                new ServiceDefinition
                {
                    Name = "api",
                    Image = "busybox",
                    Replicas = replicas,
                    Env = new Dictionary<string, string> { ["A"] = "1" },
                    Restart = new ServiceRestart(RestartMode.OnFailure, 3),
                    DependsOn = [new ServiceDependencySpec("db", DependencyKind.ServiceHealthy, Restart: true)],
                    Constraints = [new LabelConstraint("zone", "eu")],
                    HealthCheck = new HealthCheckSpec(
                        ["/bin/sh", "-c", "true"],
                        TimeSpan.FromSeconds(2),
                        TimeSpan.FromSeconds(1),
                        3,
                        TimeSpan.Zero,
                        TimeSpan.Zero
                    ),
                    Mounts = [new ServiceMount(ServiceMountKind.Volume, "data", "/data", false)],
                },
            ],
            Networks = ["default"],
            Volumes = ["data"],
        };

    [Fact]
    public async Task A_project_is_stored_replaced_marked_for_removal_and_deleted()
    {
        var put = await Store.PutProjectAsync(Shop(), "dev@example.com", T0, None);
        Assert.Equal(("shop", "dev@example.com", T0, false), (put.Name, put.CreatedBy, put.CreatedAt, put.Removing));
        Assert.Equal(DefinitionHash.Of(Shop().Services[0]), DefinitionHash.Of(put.Spec.Services[0]));
        Assert.Equal(["/bin/sh", "-c", "true"], put.Spec.Services[0].HealthCheck!.Test);
        Assert.Equal(TimeSpan.FromSeconds(2), put.Spec.Services[0].HealthCheck!.Interval);

        Assert.True(await Store.MarkRemovingAsync("shop", removeVolumes: true, T0.AddMinutes(1), None));
        var removing = (await Store.GetProjectAsync("shop", None))!;
        Assert.Equal((true, true), (removing.Removing, removing.RemoveVolumes));

        // A new up of the same project replaces its spec, keeps its creator and calls off the down.
        var again = await Store.PutProjectAsync(Shop(3), "other@example.com", T0.AddMinutes(2), None);
        Assert.Equal(
            (3, "dev@example.com", T0, T0.AddMinutes(2), false),
            (again.Spec.Services[0].Replicas, again.CreatedBy, again.CreatedAt, again.UpdatedAt, again.Removing)
        );
        Assert.Equal(["shop"], (await Store.ListProjectsAsync(None)).Select(p => p.Name));

        // A spec rewritten in place (a re-seal) only over the one stored at that time; the update time stays.
        Assert.False(await Store.ReplaceSpecAsync("shop", T0.AddMinutes(1), Shop(4), None));
        Assert.True(await Store.ReplaceSpecAsync("shop", T0.AddMinutes(2), Shop(5), None));
        var replaced = (await Store.GetProjectAsync("shop", None))!;
        Assert.Equal(
            (5, T0.AddMinutes(2), false),
            (replaced.Spec.Services[0].Replicas, replaced.UpdatedAt, replaced.Removing)
        );

        await Store.SaveReplicaAsync(new ReplicaRecord("shop", "api", 1) { UpdatedAt = T0 }, None);
        Assert.True(await Store.DeleteProjectAsync("shop", None));
        Assert.False(await Store.DeleteProjectAsync("shop", None));
        Assert.Null(await Store.GetProjectAsync("shop", None));
        Assert.Empty(await Store.ListReplicasAsync("shop", None));
        Assert.False(await Store.MarkRemovingAsync("shop", false, T0, None));
    }

    [Fact]
    public async Task Replicas_are_saved_found_by_task_and_take_health_and_addresses()
    {
        await Store.PutProjectAsync(Shop(2), "dev@example.com", T0, None);
        var replica = new ReplicaRecord("shop", "api", 1)
        {
            Generation = 2,
            RunId = "run-1",
            TaskId = "task-1",
            Agent = "a1",
            DefinitionHash = "abc",
            Restarts = 1,
            Stopping = true,
            RestartRequested = true,
            Health = ReplicaHealth.Starting,
            LastPhase = ReplicaPhase.Running,
            UpdatedAt = T0,
        };
        await Store.SaveReplicaAsync(replica, None);
        await Store.SaveReplicaAsync(new ReplicaRecord("shop", "api", 2) { UpdatedAt = T0 }, None);
        Assert.Equal(replica, (await Store.ListReplicasAsync("shop", None))[0]);
        Assert.Equal([1, 2], (await Store.ListReplicasAsync("shop", None)).Select(r => r.Replica));

        var healthy = await Store.RecordHealthAsync(
            "task-1",
            ReplicaHealth.Unhealthy,
            3,
            "connection refused",
            T0.AddSeconds(5),
            None
        );
        Assert.Equal(
            (ReplicaHealth.Unhealthy, 3, "connection refused"),
            (healthy!.Health, healthy.FailingStreak, healthy.HealthOutput)
        );
        Assert.Null(await Store.RecordHealthAsync("gone", ReplicaHealth.Healthy, 0, null, T0, None));

        var before = (await Store.GetProjectAsync("shop", None))!.NamesVersion;
        var addressed = await Store.RecordAddressesAsync(
            "task-1",
            new Dictionary<string, string> { ["default"] = "10.89.0.5" },
            T0,
            None
        );
        Assert.Equal("10.89.0.5", addressed!.Addresses!["default"]);
        Assert.Equal(before + 1, (await Store.GetProjectAsync("shop", None))!.NamesVersion);
        await Store.BumpNamesAsync("shop", None);
        Assert.Equal(before + 2, (await Store.GetProjectAsync("shop", None))!.NamesVersion);

        // Saving replaces the whole record.
        await Store.SaveReplicaAsync(
            replica with
            {
                Generation = 3,
                TaskId = "task-2",
                Stopping = false,
                Addresses = null,
            },
            None
        );
        Assert.Null(await Store.FindReplicaByTaskAsync("task-1", None));
        Assert.Equal(3, (await Store.FindReplicaByTaskAsync("task-2", None))!.Generation);

        await Store.DeleteReplicaAsync("shop", "api", 2, None);
        Assert.Equal([1], (await Store.ListReplicasAsync("shop", None)).Select(r => r.Replica));
    }

    [Fact]
    public async Task A_rolls_new_replica_beside_the_old_takes_its_own_reports_and_a_stale_save_keeps_the_agents_reports()
    {
        await Store.PutProjectAsync(Shop(1), "dev@example.com", T0, None);
        var replica = new ReplicaRecord("shop", "api", 1)
        {
            Generation = 1,
            RunId = "run-1",
            TaskId = "task-1",
            Agent = "a1",
            DefinitionHash = "old",
            Health = ReplicaHealth.Healthy,
            LastPhase = ReplicaPhase.Running,
            UpdatedAt = T0,
            Next = new SuccessorRecord(2, "run-2", "task-2", "a2", "new")
            {
                Health = ReplicaHealth.Starting,
                LastPhase = ReplicaPhase.Pending,
            },
            FailedHash = "older",
            FailedReason = "its health check failed",
        };
        await Store.SaveReplicaAsync(replica, None);
        Assert.Equal(replica, Assert.Single(await Store.ListReplicasAsync("shop", None)));
        Assert.Equal("task-1", (await Store.FindReplicaByTaskAsync("task-2", None))!.TaskId);

        // The new replica's reports land beside the old one's, which keep theirs.
        await Store.RecordHealthAsync("task-2", ReplicaHealth.Unhealthy, 1, "refused", T0.AddSeconds(1), None);
        await Store.RecordAddressesAsync(
            "task-2",
            new Dictionary<string, string> { ["default"] = "10.89.0.7" },
            T0.AddSeconds(1),
            None
        );
        var read = Assert.Single(await Store.ListReplicasAsync("shop", None));
        Assert.Equal((ReplicaHealth.Healthy, null), (read.Health, read.Addresses));
        Assert.Equal(
            (ReplicaHealth.Unhealthy, 1, "refused", "10.89.0.7"),
            (read.Next!.Health, read.Next.FailingStreak, read.Next.HealthOutput, read.Next.Addresses!["default"])
        );

        // A save made from a read before those reports (same tasks) keeps what the agents reported.
        await Store.SaveReplicaAsync(
            replica with
            {
                Restarts = 1,
                Next = replica.Next with { LastPhase = ReplicaPhase.Running },
            },
            None
        );
        read = Assert.Single(await Store.ListReplicasAsync("shop", None));
        Assert.Equal(
            (1, ReplicaPhase.Running, ReplicaHealth.Unhealthy, "10.89.0.7"),
            (read.Restarts, read.Next!.LastPhase, read.Next.Health, read.Next.Addresses!["default"])
        );

        // A new task is a new start: the save's health and addresses win.
        await Store.SaveReplicaAsync(
            replica with
            {
                TaskId = "task-3",
                Health = ReplicaHealth.Starting,
                Next = null,
            },
            None
        );
        read = Assert.Single(await Store.ListReplicasAsync("shop", None));
        Assert.Equal(("task-3", ReplicaHealth.Starting, null), (read.TaskId, read.Health, read.Next));
        Assert.Null(await Store.FindReplicaByTaskAsync("task-2", None));
    }

    [Fact]
    public async Task Events_are_numbered_in_order_and_read_after_a_sequence()
    {
        await Store.AppendEventAsync(
            new NewServiceEvent("shop", "db", 1, ReplicaEventKind.Created, "created on a1", T0),
            None
        );
        await Store.AppendEventAsync(
            new NewServiceEvent("blog", "web", 1, ReplicaEventKind.Created, "created on a2", T0),
            None
        );
        await Store.AppendEventAsync(
            new NewServiceEvent("shop", "db", 1, ReplicaEventKind.Healthy, "healthy", T0.AddSeconds(3)),
            None
        );

        var shop = await Store.ListEventsAsync("shop", 0, 100, None);
        Assert.Equal([ReplicaEventKind.Created, ReplicaEventKind.Healthy], shop.Select(e => e.Kind));
        Assert.True(shop[0].Seq < shop[1].Seq);
        Assert.Equal(
            ("db", 1, "healthy", T0.AddSeconds(3)),
            (shop[1].Service, shop[1].Replica, shop[1].Message, shop[1].At)
        );

        Assert.Equal(
            ["blog", "shop"],
            (await Store.ListEventsAsync(null, shop[0].Seq, 100, None)).Select(e => e.Project)
        );
        Assert.Single(await Store.ListEventsAsync(null, 0, 1, None));
    }
}

public sealed class SqliteServiceStoreTests() : ServiceStoreConformance(new SqliteTestDatabase("hearth-services-"));

[Collection(PostgresCollection.Name)]
public sealed class PostgresServiceStoreTests(PostgresCluster cluster)
    : ServiceStoreConformance(new PostgresTestDatabase(cluster));
