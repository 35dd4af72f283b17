using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Services;

namespace Hearth.Server.Tests;

/// <summary>
/// A project through the server over real HTTP, with the test playing the agent through the protocol: the reconciler
/// creates the db replica's task pinned to the agent, the agent's health and address reports reach ps and the names,
/// api starts only once db is healthy, and down stops both and removes the project.
/// </summary>
public sealed class ProjectApiTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static ProjectSpec Shop() =>
        new()
        {
            Name = "shop",
            Networks = ["default"],
            Services =
            [
                new ServiceDefinition
                {
                    Name = "db",
                    Image = "busybox",
                    Networks = [new ServiceNetworkAttachment("default", ["database"])],
                    HealthCheck = new HealthCheckSpec(
                        ["/bin/sh", "-c", "true"],
                        TimeSpan.FromSeconds(1),
                        TimeSpan.FromSeconds(1),
                        3,
                        TimeSpan.Zero,
                        TimeSpan.FromSeconds(1)
                    ),
                },
                new ServiceDefinition
                {
                    Name = "api",
                    Image = "busybox",
                    Restart = new ServiceRestart(RestartMode.Always),
                    DependsOn = [new ServiceDependencySpec("db", DependencyKind.ServiceHealthy)],
                },
            ],
        };

    [Fact]
    public async Task A_project_starts_in_order_takes_health_and_addresses_and_goes_down()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;

        Assert.Equal(
            HttpStatusCode.BadRequest,
            (await admin.PutAsJsonAsync("api/v1/projects/other", Shop(), HearthJson.Options)).StatusCode
        );
        var put = await admin.PutAsJsonAsync("api/v1/projects/shop", Shop(), HearthJson.Options);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var db = await LeaseAsync(agent, registered.AgentId);
        Assert.Equal((TaskKind.ServiceReplica, "db", 1), (db.Kind, db.Service!.Service, db.Service.Replica));
        Assert.Equal(["/bin/sh", "-c", "true"], db.Service.HealthCheck!.Test);
        var view = (await admin.GetFromJsonAsync<ProjectView>("api/v1/projects/shop", HearthJson.Options))!;
        Assert.Equal("a1", view.Replicas.Single(r => r.Name == "db-1").Agent);
        Assert.Equal("waiting: db is not healthy", view.Replicas.Single(r => r.Name == "api-1").Waiting);

        var running = new RunningBody(db.Epoch, DateTimeOffset.UtcNow)
        {
            Addresses = new Dictionary<string, string> { ["default"] = "10.89.0.2" },
        };
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync($"api/v1/agent/tasks/{db.TaskId}/running", running, HearthJson.Options)
            ).StatusCode
        );
        var names = (
            await agent.GetFromJsonAsync<NetworkNamesView>(
                "api/v1/agent/networks/shop/default/names",
                HearthJson.Options
            )
        )!;
        Assert.Equal(["database", "db", "db-1"], names.Records.Select(r => r.Name));
        Assert.All(names.Records, r => Assert.Equal("10.89.0.2", r.Address));

        var stale = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{db.TaskId}/health",
            new ReplicaHealthBody(db.Epoch + 1, ReplicaHealth.Healthy, 0, null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var healthy = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{db.TaskId}/health",
            new ReplicaHealthBody(db.Epoch, ReplicaHealth.Healthy, 0, "ok"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);

        var api = await LeaseAsync(agent, registered.AgentId);
        Assert.Equal("api", api.Service!.Service);
        // The run is created (and leased) before its event is written: wait for the event.
        IReadOnlyList<ServiceEventView> events = [];
        await Until(
            async () =>
                (
                    events = (
                        await admin.GetFromJsonAsync<ServiceEventListView>(
                            "api/v1/projects/shop/events",
                            HearthJson.Options
                        )
                    )!.Events
                ).Count == 4,
            "four events"
        );
        // "started" is seen by the reconciler's next pass, so it may come after "healthy", reported at once; api's
        // creation comes after both.
        var said = events.Select(e => $"{e.Service}-{e.Replica} {e.Kind.ToString().ToLowerInvariant()}").ToList();
        Assert.Equal(4, said.Count);
        Assert.Equal(("db-1 created", "api-1 created"), (said[0], said[^1]));
        Assert.Equal(["db-1 healthy", "db-1 started"], said[1..^1].Order(StringComparer.Ordinal));

        Assert.Equal(HttpStatusCode.Accepted, (await admin.DeleteAsync("api/v1/projects/shop")).StatusCode);
        // The stops reach the agent with its next heartbeat; here it reports both ended once they were asked.
        await Until(
            async () =>
                (
                    await admin.GetFromJsonAsync<ServiceEventListView>(
                        "api/v1/projects/shop/events",
                        HearthJson.Options
                    )
                )!.Events.Count(e => e.Kind == ReplicaEventKind.Stopping) == 2,
            "both replicas asked to stop"
        );
        foreach (var task in new[] { db, api })
            await agent.PostAsJsonAsync(
                $"api/v1/agent/tasks/{task.TaskId}/complete",
                new CompleteBody(task.Epoch, 137, false, null),
                HearthJson.Options
            );
        await Until(
            async () => (await admin.GetAsync("api/v1/projects/shop")).StatusCode == HttpStatusCode.NotFound,
            "project gone"
        );
        var runs = (await admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options))!.Runs;
        Assert.Equal(
            [RunState.Stopped, RunState.Stopped],
            runs.Where(r => r.Kind == RunKinds.Deployment).Select(r => r.Status)
        );
    }

    [Fact]
    public async Task A_replica_whose_sandbox_never_started_shows_why_and_one_that_exited_does_not()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var project = new ProjectSpec
        {
            Name = "pull",
            Networks = ["default"],
            Services =
            [
                new ServiceDefinition { Name = "web", Image = "nowhere.example/web" },
                new ServiceDefinition { Name = "job", Image = "busybox" },
            ],
        };
        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/pull", project, HearthJson.Options)).StatusCode
        );
        const string Why = "sandbox failed to start: cannot get image nowhere.example/web: registry unreachable";
        foreach (var _ in project.Services)
        {
            var lease = await LeaseAsync(agent, registered.AgentId);
            var body =
                lease.Service!.Service == "web"
                    ? new CompleteBody(lease.Epoch, null, false, Why)
                    : new CompleteBody(lease.Epoch, 3, false, null);
            Assert.Equal(
                HttpStatusCode.OK,
                (
                    await agent.PostAsJsonAsync($"api/v1/agent/tasks/{lease.TaskId}/complete", body, HearthJson.Options)
                ).StatusCode
            );
        }

        ProjectView view = null!;
        await Until(
            async () =>
                (
                    view = (await admin.GetFromJsonAsync<ProjectView>("api/v1/projects/pull", HearthJson.Options))!
                ).Replicas.Count(r => r.State == ReplicaPhase.Exited) == 2,
            "both replicas exited"
        );
        var web = view.Replicas.Single(r => r.Service == "web");
        var job = view.Replicas.Single(r => r.Service == "job");
        Assert.Equal((Why, (int?)null), (web.Error, web.ExitCode));
        Assert.Equal(((string?)null, (int?)3), (job.Error, job.ExitCode));
    }

    [Fact]
    public async Task A_rolling_updates_new_task_shows_under_its_replica_until_it_takes_over()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        ProjectSpec Roll(string mode) =>
            new()
            {
                Name = "roll",
                Services =
                [
                    new ServiceDefinition
                    {
                        Name = "db",
                        Image = "busybox",
                        Env = new Dictionary<string, string> { ["MODE"] = mode },
                        HealthCheck = new HealthCheckSpec(
                            ["true"],
                            TimeSpan.FromSeconds(1),
                            TimeSpan.FromSeconds(1),
                            1,
                            TimeSpan.Zero,
                            TimeSpan.FromSeconds(1)
                        ),
                    },
                ],
            };
        async Task<ReplicaView> Db() =>
            (await admin.GetFromJsonAsync<ProjectView>("api/v1/projects/roll", HearthJson.Options))!.Replicas.Single();
        async Task RunHealthy(Assignment task)
        {
            Assert.Equal(
                HttpStatusCode.OK,
                (
                    await agent.PostAsJsonAsync(
                        $"api/v1/agent/tasks/{task.TaskId}/running",
                        new RunningBody(task.Epoch, DateTimeOffset.UtcNow),
                        HearthJson.Options
                    )
                ).StatusCode
            );
            Assert.Equal(
                HttpStatusCode.OK,
                (
                    await agent.PostAsJsonAsync(
                        $"api/v1/agent/tasks/{task.TaskId}/health",
                        new ReplicaHealthBody(task.Epoch, ReplicaHealth.Healthy, 0, "ok"),
                        HearthJson.Options
                    )
                ).StatusCode
            );
        }

        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/roll", Roll("one"), HearthJson.Options)).StatusCode
        );
        var first = await LeaseAsync(agent, registered.AgentId);
        await RunHealthy(first);
        await Until(
            async () => (await Db()) is { State: ReplicaPhase.Running, Health: ReplicaHealth.Healthy, Current: true },
            "db-1 running healthy"
        );
        Assert.Null((await Db()).Next);

        // A changed definition: the new task starts beside the old one, which keeps serving and shows it as its next.
        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/roll", Roll("two"), HearthJson.Options)).StatusCode
        );
        var second = await LeaseAsync(agent, registered.AgentId);
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync(
                    $"api/v1/agent/tasks/{second.TaskId}/running",
                    new RunningBody(second.Epoch, DateTimeOffset.UtcNow),
                    HearthJson.Options
                )
            ).StatusCode
        );
        ReplicaView rolling = null!;
        await Until(async () => (rolling = await Db()).Next is not null, "db-1 shows its new task");
        Assert.Equal(
            (first.TaskId, ReplicaPhase.Running, ReplicaHealth.Healthy),
            (rolling.TaskId, rolling.State, rolling.Health)
        );
        var next = rolling.Next!;
        Assert.Equal(
            (rolling.Generation + 1, "a1", second.TaskId, ReplicaPhase.Running),
            (next.Generation, next.Agent, next.TaskId, next.State)
        );
        Assert.NotNull(next.StartedAt);
        Assert.NotEqual(rolling.RunId, next.RunId);
        var json = await (await admin.GetAsync("api/v1/projects/roll")).Content.ReadAsStringAsync();
        Assert.Contains($"\"next\":{{\"generation\":{next.Generation},\"agent\":\"a1\",", json);

        // Healthy, it takes the replica's place: no next any more.
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync(
                    $"api/v1/agent/tasks/{second.TaskId}/health",
                    new ReplicaHealthBody(second.Epoch, ReplicaHealth.Healthy, 0, "ok"),
                    HearthJson.Options
                )
            ).StatusCode
        );
        await Until(
            async () => (await Db()) is { Next: null } db && db.TaskId == second.TaskId,
            "the new task took over"
        );
    }

    [Fact]
    public async Task Compose_secrets_are_sealed_never_shown_and_reach_only_the_replicas_assignment()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        Assert.Equal(
            HttpStatusCode.Created,
            (
                await admin.PostAsJsonAsync(
                    "api/v1/secrets",
                    new SecretBody("db-root", "hearth-managed-pw", "DB_ROOT", null),
                    HearthJson.Options
                )
            ).StatusCode
        );
        ProjectSpec Vault(string external) =>
            new()
            {
                Name = "vault",
                Services =
                [
                    new ServiceDefinition
                    {
                        Name = "db",
                        Image = "busybox",
                        Files =
                        [
                            new ServiceFile("/run/secrets/pw", null, "compose-file-pw", 0x100, Secret: true),
                            new ServiceFile("/run/secrets/root", external, null, Secret: true),
                            new ServiceFile("/etc/db.conf", null, "port=5432"),
                        ],
                    },
                ],
            };

        var missing = await admin.PutAsJsonAsync("api/v1/projects/vault", Vault("no-such"), HearthJson.Options);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("SECRET_NOT_FOUND", await missing.Content.ReadAsStringAsync());
        var put = await admin.PutAsJsonAsync("api/v1/projects/vault", Vault("db-root"), HearthJson.Options);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var shown = await (await admin.GetAsync("api/v1/projects/vault")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("compose-file-pw", shown);
        Assert.DoesNotContain("hearth-managed-pw", shown);
        Assert.Contains("port=5432", shown);

        var lease = await LeaseAsync(agent, registered.AgentId);
        Assert.Equal("compose-file-pw", lease.SecretFiles["/run/secrets/pw"]);
        Assert.Equal("hearth-managed-pw", lease.SecretFiles["/run/secrets/root"]);
        Assert.False(lease.SecretFiles.ContainsKey("/etc/db.conf"));
        Assert.Contains("compose-file-pw", lease.Mask);
        Assert.All(lease.Service!.Files, f => Assert.NotEqual("compose-file-pw", f.Content));

        // The same file again keeps the seal: nothing rolls. The lease can come before the deployer saves the replica.
        ReplicaView before = null!;
        await Until(
            async () =>
            {
                before = (
                    await admin.GetFromJsonAsync<ProjectView>("api/v1/projects/vault", HearthJson.Options)
                )!.Replicas.Single();
                return before.DefinitionHash is not null;
            },
            "db-1 recorded with its definition"
        );
        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/vault", Vault("db-root"), HearthJson.Options)).StatusCode
        );
        var after = (
            await admin.GetFromJsonAsync<ProjectView>("api/v1/projects/vault", HearthJson.Options)
        )!.Replicas.Single();
        Assert.True(after.Current);
        Assert.Equal(before.DefinitionHash, after.DefinitionHash);

        var forged = Vault("db-root");
        forged = forged with
        {
            Services = [forged.Services[0] with { Files = [new ServiceFile("/x", null, null, Sealed: "k:AAAA")] }],
        };
        Assert.Equal(
            HttpStatusCode.BadRequest,
            (await admin.PutAsJsonAsync("api/v1/projects/vault", forged, HearthJson.Options)).StatusCode
        );
    }

    [Fact]
    public async Task Exec_is_relayed_to_the_replicas_agent_and_streams_its_lines_and_exit_code_to_the_creator_only()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var agent = server.Client(server.AgentToken);
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var spec = new ProjectSpec
        {
            Name = "box",
            Services = [new ServiceDefinition { Name = "web", Image = "busybox" }],
        };
        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/box", spec, HearthJson.Options)).StatusCode
        );
        var exec = new ExecBody("web", ["sh", "-c", "echo hi; echo oops >&2; exit 3"]);

        var notYet = await admin.PostAsJsonAsync("api/v1/projects/box/exec", exec, HearthJson.Options);
        Assert.Equal((HttpStatusCode.Conflict, "NOT_RUNNING"), (notYet.StatusCode, await TestServer.CodeOf(notYet)));
        var web = await LeaseAsync(agent, registered.AgentId);
        await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{web.TaskId}/running",
            new RunningBody(web.Epoch, DateTimeOffset.UtcNow),
            HearthJson.Options
        );
        await Until(
            async () =>
                (await admin.GetFromJsonAsync<ProjectView>("api/v1/projects/box", HearthJson.Options))!
                    .Replicas.Single()
                    .State == ReplicaPhase.Running,
            "web-1 running"
        );
        var notOwner = await developer.PostAsJsonAsync("api/v1/projects/box/exec", exec, HearthJson.Options);
        Assert.Equal((HttpStatusCode.Forbidden, "NOT_OWNER"), (notOwner.StatusCode, await TestServer.CodeOf(notOwner)));

        var answer = admin.PostAsJsonAsync("api/v1/projects/box/exec", exec, HearthJson.Options);
        ExecSessionView? session = null;
        await Until(
            async () =>
            {
                var poll = await agent.PostAsJsonAsync(
                    "api/v1/agent/exec/poll",
                    new ExecPollBody(registered.AgentId, 1),
                    HearthJson.Options
                );
                session = (
                    await poll.Content.ReadFromJsonAsync<ExecPollAnswer>(HearthJson.Options)
                )!.Sessions.SingleOrDefault();
                return session is not null;
            },
            "the exec session reaches the agent's poll"
        );
        Assert.Equal((web.TaskId, web.Epoch), (session!.TaskId, session.Epoch));
        Assert.Equal(exec.Command, session.Command);
        var lines = new ExecOutputBody([new ExecLine("stdout", "hi"), new ExecLine("stderr", "oops")]);
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync($"api/v1/agent/exec/{session.SessionId}/output", lines, HearthJson.Options)
            ).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync(
                    $"api/v1/agent/exec/{session.SessionId}/output",
                    new ExecOutputBody([], true, 3),
                    HearthJson.Options
                )
            ).StatusCode
        );

        var response = await answer;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = (await response.Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonSerializer.Deserialize<ExecEventView>(l, HearthJson.Options)!)
            .ToList();
        Assert.Equal(
            [
                new ExecEventView(Replica: "web-1"),
                new ExecEventView("stdout", "hi"),
                new ExecEventView("stderr", "oops"),
                new ExecEventView(ExitCode: 3),
            ],
            events
        );
        // The session is over: a late post tells the agent to stop.
        Assert.Equal(
            HttpStatusCode.NotFound,
            (
                await agent.PostAsJsonAsync(
                    $"api/v1/agent/exec/{session.SessionId}/output",
                    new ExecOutputBody([new ExecLine("stdout", "late")]),
                    HearthJson.Options
                )
            ).StatusCode
        );
    }

    [Fact]
    public async Task Down_with_volumes_asks_agents_to_remove_them_until_the_project_is_up_again()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var spec = new ProjectSpec
        {
            Name = "keep",
            Volumes = ["data"],
            Services =
            [
                new ServiceDefinition
                {
                    Name = "db",
                    Image = "busybox",
                    Mounts = [new ServiceMount(ServiceMountKind.Volume, "cache", "/c", false)],
                },
            ],
        };
        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/keep", spec, HearthJson.Options)).StatusCode
        );
        var db = await LeaseAsync(agent, registered.AgentId);
        Assert.Equal(
            HttpStatusCode.Accepted,
            (await admin.DeleteAsync("api/v1/projects/keep?volumes=true")).StatusCode
        );
        await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{db.TaskId}/complete",
            new CompleteBody(db.Epoch, 137, false, null),
            HearthJson.Options
        );
        await Until(
            async () => (await admin.GetAsync("api/v1/projects/keep")).StatusCode == HttpStatusCode.NotFound,
            "project gone"
        );

        async Task<IReadOnlyList<VolumeRemovalView>> Removals() =>
            (
                await agent.GetFromJsonAsync<VolumeRemovalsView>("api/v1/agent/volumes/removals", HearthJson.Options)
            )!.Removals;
        var removal = Assert.Single(await Removals());
        Assert.Equal("keep", removal.Project);
        Assert.Equal(["cache", "data"], removal.Volumes);
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/volumes/removed",
                    new VolumesRemovedBody("a1", "keep", ["data"]),
                    HearthJson.Options
                )
            ).StatusCode
        );
        var events = (
            await admin.GetFromJsonAsync<ServiceEventListView>("api/v1/projects/keep/events", HearthJson.Options)
        )!.Events;
        Assert.Equal("volume data removed on a1", events.Single(e => e.Kind == ReplicaEventKind.VolumeRemoved).Message);
        // Another agent may hold the other volume: the removal stays until the project is up again.
        Assert.Single(await Removals());

        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PutAsJsonAsync("api/v1/projects/keep", spec, HearthJson.Options)).StatusCode
        );
        Assert.Empty(await Removals());
    }

    internal static async Task<Assignment> LeaseAsync(HttpClient agent, string agentId)
    {
        var until = DateTimeOffset.UtcNow + Deadline;
        while (DateTimeOffset.UtcNow < until)
        {
            var response = await agent.PostAsJsonAsync(
                "api/v1/agent/lease",
                new LeaseRequest(agentId, 1, 5),
                HearthJson.Options
            );
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if ((await response.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments is [var one])
                return one;
        }
        throw new Xunit.Sdk.XunitException($"no assignment within {Deadline.TotalSeconds} s");
    }

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var until = DateTimeOffset.UtcNow + Deadline;
        while (DateTimeOffset.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(200);
        }
        throw new Xunit.Sdk.XunitException($"not reached within {Deadline.TotalSeconds} s: {what}");
    }
}
