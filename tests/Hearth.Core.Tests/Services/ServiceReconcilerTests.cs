using Hearth.Core.Placement;
using Hearth.Core.Services;

namespace Hearth.Core.Tests.Services;

/// <summary>The services' pure reconciler: one snapshot in, one plan out, on a fixed clock.</summary>
public sealed class ServiceReconcilerTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
    private static readonly HealthCheckSpec Check = new(
        ["/bin/sh", "-c", "true"],
        TimeSpan.FromSeconds(1),
        TimeSpan.FromSeconds(1),
        3,
        TimeSpan.Zero,
        TimeSpan.Zero
    );

    private static AgentSnapshot Agent(
        string name,
        string labels = "",
        int capacity = 8,
        int running = 0,
        AgentStatus status = AgentStatus.Online
    )
    {
        var all = Labels.LabelMatch.Parse(labels);
        all["driver.oci"] = "true";
        return new AgentSnapshot(
            name + "-id",
            name,
            status,
            all,
            AgentSnapshot.DriversFromLabels(all),
            capacity,
            running,
            Now
        );
    }

    private static ServiceDefinition Service(
        string name,
        int replicas = 1,
        RestartMode restart = RestartMode.No,
        int? max = null,
        HealthCheckSpec? check = null,
        params ServiceDependencySpec[] dependsOn
    ) =>
        new()
        {
            Name = name,
            Image = "busybox",
            Replicas = replicas,
            Restart = new ServiceRestart(restart, max),
            HealthCheck = check,
            DependsOn = dependsOn,
        };

    private static ReplicaStatus Replica(
        ServiceDefinition service,
        int index,
        ReplicaPhase phase,
        string agent = "a",
        ReplicaHealth health = ReplicaHealth.None,
        int? exit = null,
        int restarts = 0,
        DateTimeOffset? started = null,
        DateTimeOffset? ended = null,
        string? hash = null
    ) =>
        new()
        {
            Service = service.Name,
            Replica = index,
            Generation = 1 + restarts,
            DefinitionHash = hash ?? DefinitionHash.Of(service),
            Phase = phase,
            Health = health,
            Agent = agent,
            ExitCode = exit,
            Restarts = restarts,
            StartedAt = started ?? Now.AddMinutes(-10),
            EndedAt = ended,
        };

    private static ServicePlan Plan(
        IReadOnlyList<ServiceDefinition> services,
        IReadOnlyList<ReplicaStatus> replicas,
        IReadOnlyList<AgentSnapshot>? agents = null,
        bool removing = false,
        DateTimeOffset? now = null
    ) =>
        ServiceReconciler.Plan(
            new ServiceSnapshot(
                new ProjectSpec { Name = "shop", Services = services },
                removing,
                replicas,
                agents ?? [Agent("a"), Agent("b")],
                now ?? Now
            )
        );

    private static readonly ServiceDefinition Db = Service("db", check: Check, restart: RestartMode.Always);

    private static readonly ServiceDefinition Api = Service(
        "api",
        dependsOn: new ServiceDependencySpec("db", DependencyKind.ServiceHealthy, Restart: true)
    );

    private static readonly ServiceDefinition Web = Service(
        "web",
        dependsOn: new ServiceDependencySpec("api", DependencyKind.ServiceStarted)
    );

    [Fact]
    public void A_new_project_starts_only_what_depends_on_nothing()
    {
        var plan = Plan([Db, Api, Web], []);

        var start = Assert.Single(plan.Of<StartReplica>());
        Assert.Equal(("db", 1, 1, false), (start.Service, start.Replica, start.Generation, start.Restart));
        Assert.Equal(DefinitionHash.Of(Db), start.DefinitionHash);
        Assert.Equal(
            ["waiting: db is not healthy", "waiting: api is not started"],
            plan.Of<WaitReplica>().OrderBy(w => w.Service).Select(w => w.Reason)
        );
    }

    [Fact]
    public void A_dependant_waits_for_healthy_not_for_running()
    {
        var running = Plan([Db, Api, Web], [Replica(Db, 1, ReplicaPhase.Running, health: ReplicaHealth.Starting)]);
        Assert.Empty(running.Of<StartReplica>());

        var healthy = Plan([Db, Api, Web], [Replica(Db, 1, ReplicaPhase.Running, health: ReplicaHealth.Healthy)]);
        Assert.Equal(["api"], healthy.Of<StartReplica>().Select(s => s.Service));

        var apiUp = Plan(
            [Db, Api, Web],
            [Replica(Db, 1, ReplicaPhase.Running, health: ReplicaHealth.Healthy), Replica(Api, 1, ReplicaPhase.Running)]
        );
        Assert.Equal(["web"], apiUp.Of<StartReplica>().Select(s => s.Service));
    }

    [Fact]
    public void Completed_successfully_waits_for_exit_zero_and_a_missing_optional_dependency_is_ignored()
    {
        var migrate = Service("migrate");
        var app = Service(
            "app",
            dependsOn:
            [
                new ServiceDependencySpec("migrate", DependencyKind.ServiceCompletedSuccessfully),
                new ServiceDependencySpec("cache", DependencyKind.ServiceStarted, Required: false),
            ]
        );

        Assert.DoesNotContain(
            Plan([migrate, app], [Replica(migrate, 1, ReplicaPhase.Exited, exit: 1)]).Of<StartReplica>(),
            s => s.Service == "app"
        );
        Assert.Equal(
            ["app"],
            Plan([migrate, app], [Replica(migrate, 1, ReplicaPhase.Exited, exit: 0)])
                .Of<StartReplica>()
                .Select(s => s.Service)
        );

        var required = Service("app", dependsOn: new ServiceDependencySpec("cache", DependencyKind.ServiceStarted));
        Assert.Equal(
            "waiting: cache is not in the project",
            Assert.Single(Plan([required], []).Of<WaitReplica>()).Reason
        );
    }

    private static AgentSnapshot Allowing(string name, params string[] caps)
    {
        var agent = Agent(name);
        var labels = new Dictionary<string, string>(agent.Labels)
        {
            [LinuxCapabilities.AllowedLabel] = string.Join(",", caps),
        };
        return agent with { Labels = labels };
    }

    [Fact]
    public void A_replica_goes_only_to_an_agent_that_allows_the_capabilities_it_adds_or_waits_naming_them()
    {
        var vpn = Service("vpn") with
        {
            Container = new ContainerSettings { CapAdd = ["NET_ADMIN", "SYS_MODULE"], CapDrop = ["ALL"] },
        };
        var agents = new[] { Allowing("a", "NET_ADMIN"), Allowing("b", "NET_ADMIN", "SYS_MODULE"), Agent("c") };
        Assert.Equal("b", Assert.Single(Plan([vpn], [], agents).Of<StartReplica>()).Agent);

        Assert.Equal(
            "no agent can take it: no agent allows capability SYS_MODULE; start an agent with --oci-allow-caps",
            Assert.Single(Plan([vpn], [], [Allowing("a", "NET_ADMIN"), Agent("c")]).Of<WaitReplica>()).Reason
        );
        Assert.Equal(
            "no agent can take it: no agent allows capabilities NET_ADMIN, SYS_MODULE together; start an agent with "
                + "--oci-allow-caps",
            Assert
                .Single(Plan([vpn], [], [Allowing("a", "NET_ADMIN"), Allowing("b", "SYS_MODULE")]).Of<WaitReplica>())
                .Reason
        );

        // What every container has anyway needs no allowance; ALL needs an agent that allows ALL; drops need nothing.
        var chown = Service("c") with
        {
            Container = new ContainerSettings { CapAdd = ["CHOWN"], CapDrop = ["NET_BIND_SERVICE"] },
        };
        Assert.Single(Plan([chown], [], [Agent("a")]).Of<StartReplica>());
        var all = Service("all") with { Container = new ContainerSettings { CapAdd = ["ALL"] } };
        Assert.Equal(
            "no agent can take it: no agent allows capability ALL; start an agent with --oci-allow-caps",
            Assert.Single(Plan([all], [], [Allowing("a", "NET_ADMIN", "SYS_MODULE")]).Of<WaitReplica>()).Reason
        );
        Assert.Equal(
            "b",
            Assert.Single(Plan([all], [], [Allowing("a", "NET_ADMIN"), Allowing("b", "ALL")]).Of<StartReplica>()).Agent
        );
    }

    [Fact]
    public void Settings_sent_to_the_api_without_hearth_up_are_checked()
    {
        Assert.Null(
            new ContainerSettings
            {
                CapAdd = ["NET_ADMIN"],
                Sysctls = new Dictionary<string, string> { ["net.core.somaxconn"] = "9" },
                StopSignal = "SIGINT",
                WorkingDir = "/srv",
            }.Problem()
        );
        Assert.Equal(
            "cap_add/cap_drop: 'cap_net_admin' is not a capability name (upper case, without CAP_, or ALL)",
            new ContainerSettings { CapAdd = ["cap_net_admin"] }.Problem()
        );
        Assert.StartsWith(
            "sysctls.vm.swappiness: not namespaced",
            new ContainerSettings { Sysctls = new Dictionary<string, string> { ["vm.swappiness"] = "1" } }.Problem()
        );
        Assert.Equal("stop_signal: 'INT' is not a signal name", new ContainerSettings { StopSignal = "INT" }.Problem());
        Assert.Equal(
            "working_dir: '/a/../b' is not an absolute path without '..'",
            new ContainerSettings { WorkingDir = "/a/../b" }.Problem()
        );
    }

    [Fact]
    public void Effective_capabilities_follow_dockers_rules()
    {
        Assert.Equal(LinuxCapabilities.Baseline.Order(), LinuxCapabilities.Effective([], []).Order());
        Assert.Equal(["NET_ADMIN"], LinuxCapabilities.Effective(["NET_ADMIN"], ["ALL"]));
        Assert.DoesNotContain("CHOWN", LinuxCapabilities.Effective(["NET_RAW"], ["CHOWN"]));
        Assert.Contains("NET_RAW", LinuxCapabilities.Effective(["NET_RAW"], ["CHOWN"]));
        var all = LinuxCapabilities.Effective(["ALL"], ["SYS_ADMIN"]);
        Assert.Equal(LinuxCapabilities.Known.Count - 1, all.Count);
        Assert.DoesNotContain("SYS_ADMIN", all);
        Assert.Equal(
            ("NET_ADMIN", "ALL", null),
            (
                LinuxCapabilities.Normalize("cap_net_admin"),
                LinuxCapabilities.Normalize("all"),
                LinuxCapabilities.Normalize("FLY")
            )
        );
        Assert.Contains("MKNOD", LinuxCapabilities.DefaultAllowed(false));
        Assert.DoesNotContain("NET_RAW", LinuxCapabilities.DefaultAllowed(false));
        Assert.Contains("NET_ADMIN", LinuxCapabilities.DefaultAllowed(true));
    }

    [Fact]
    public void Replicas_spread_over_agents_and_respect_constraints_and_capacity()
    {
        var api = Service("api", replicas: 3);
        var spread = Plan([api], [], [Agent("a"), Agent("b")]);
        Assert.Equal(["a", "b", "a"], spread.Of<StartReplica>().OrderBy(s => s.Replica).Select(s => s.Agent));

        var pinned = api with { Constraints = [new LabelConstraint("zone", "eu")] };
        Assert.All(Plan([pinned], [], [Agent("a", "zone=eu"), Agent("b", "zone=us")]).Of<StartReplica>(), s =>
            Assert.Equal("a", s.Agent)
        );

        var notEu = api with { Replicas = 1, Constraints = [new LabelConstraint("zone", "eu", Equal: false)] };
        Assert.Equal(
            "b",
            Assert.Single(Plan([notEu], [], [Agent("a", "zone=eu"), Agent("b", "zone=us")]).Of<StartReplica>()).Agent
        );

        var full = Plan(
            [api with { Replicas = 2 }],
            [],
            [Agent("a", capacity: 1), Agent("b", capacity: 2, running: 2)]
        );
        Assert.Equal("a", Assert.Single(full.Of<StartReplica>()).Agent);
        Assert.Equal(
            "no agent can take it: every agent that fits is at capacity",
            Assert.Single(full.Of<WaitReplica>()).Reason
        );

        var big = api with { Replicas = 1, MemoryBytes = 2L << 30 };
        Assert.Equal(
            "b",
            Assert
                .Single(
                    Plan([big], [], [Agent("a", "memory_bytes=1073741824"), Agent("b", "memory_bytes=8589934592")])
                        .Of<StartReplica>()
                )
                .Agent
        );

        var perAgent = api with { MaxPerAgent = 1 };
        var capped = Plan([perAgent], [], [Agent("a"), Agent("b")]);
        Assert.Equal(2, capped.Of<StartReplica>().Count());
        Assert.Contains("max_per_agent", Assert.Single(capped.Of<WaitReplica>()).Reason);
    }

    [Fact]
    public void No_online_agent_with_the_oci_driver_is_said_in_words()
    {
        var draining = Plan([Db], [], [Agent("a", status: AgentStatus.Draining)]);
        Assert.Equal("no agent can take it: no agent is online", Assert.Single(draining.Of<WaitReplica>()).Reason);
    }

    [Theory]
    [InlineData(RestartMode.No, null, 1, 0, false)]
    [InlineData(RestartMode.Always, null, 0, 0, true)]
    [InlineData(RestartMode.Always, null, 0, 500, true)]
    [InlineData(RestartMode.UnlessStopped, null, 0, 3, true)]
    [InlineData(RestartMode.OnFailure, null, 0, 0, false)]
    [InlineData(RestartMode.OnFailure, null, 2, 7, true)]
    [InlineData(RestartMode.OnFailure, 3, 2, 2, true)]
    [InlineData(RestartMode.OnFailure, 3, 2, 3, false)]
    public void An_exited_replica_follows_its_restart_policy(
        RestartMode mode,
        int? max,
        int exit,
        int restarts,
        bool restarted
    )
    {
        var service = Service("job", restart: mode, max: max);
        var plan = Plan(
            [service],
            [Replica(service, 1, ReplicaPhase.Exited, exit: exit, restarts: restarts, ended: Now.AddHours(-1))]
        );

        var start = plan.Of<StartReplica>().SingleOrDefault();
        Assert.Equal(restarted, start is not null);
        if (start is not null)
            Assert.Equal((true, 2 + restarts), (start.Restart, start.Generation));
    }

    [Fact]
    public void An_exited_replica_of_an_older_definition_starts_again_with_the_new_one_whatever_its_policy()
    {
        var service = Service("job", restart: RestartMode.No);
        var exited = Replica(service, 1, ReplicaPhase.Exited, exit: 1, ended: Now.AddHours(-1));

        Assert.Empty(Plan([service], [exited]).Of<StartReplica>());
        var start = Assert.Single(Plan([service], [exited with { DefinitionHash = "older" }]).Of<StartReplica>());
        Assert.Equal((false, 2, "started with the new definition"), (start.Restart, start.Generation, start.Reason));
    }

    [Fact]
    public void Restarts_back_off_doubling_up_to_a_minute()
    {
        Assert.Equal(
            [1, 2, 4, 8, 16, 32, 60, 60],
            Enumerable.Range(0, 8).Select(r => (int)ServiceReconciler.Backoff(r).TotalSeconds)
        );

        var service = Service("api", restart: RestartMode.Always);
        var exited = Replica(service, 1, ReplicaPhase.Exited, exit: 1, restarts: 3, ended: Now);
        var early = Plan([service], [exited], now: Now.AddSeconds(7));
        Assert.Empty(early.Of<StartReplica>());
        Assert.Equal(Now.AddSeconds(8), early.WakeAt);

        var due = Plan([service], [exited], now: Now.AddSeconds(8));
        Assert.Single(due.Of<StartReplica>());
        Assert.Null(due.WakeAt);
    }

    [Fact]
    public void An_unhealthy_replica_is_stopped_to_be_restarted_and_started_once_stopped()
    {
        var unhealthy = Plan([Db], [Replica(Db, 1, ReplicaPhase.Running, health: ReplicaHealth.Unhealthy)]);
        var stop = Assert.Single(unhealthy.Of<StopReplica>());
        Assert.Equal((true, true), (stop.ThenRestart, stop.CountsAsRestart));

        var stopping = Plan(
            [Db],
            [Replica(Db, 1, ReplicaPhase.Running, health: ReplicaHealth.Unhealthy) with { Stopping = true }]
        );
        Assert.Empty(stopping.Actions);

        var stopped = Plan([Db], [Replica(Db, 1, ReplicaPhase.Stopped, restarts: 1) with { RestartRequested = true }]);
        Assert.Equal(
            (3, false),
            (Assert.Single(stopped.Of<StartReplica>()).Generation, stopped.Of<StartReplica>().Single().Restart)
        );
    }

    [Fact]
    public void A_dependant_with_restart_true_restarts_when_its_dependency_restarted_after_it()
    {
        var db = Replica(Db, 1, ReplicaPhase.Running, health: ReplicaHealth.Healthy, started: Now.AddSeconds(-5));
        var api = Replica(Api, 1, ReplicaPhase.Running, started: Now.AddMinutes(-5));
        var web = Replica(Web, 1, ReplicaPhase.Running, started: Now.AddMinutes(-5));

        var plan = Plan([Db, Api, Web], [db, api, web]);

        var stop = Assert.Single(plan.Of<StopReplica>());
        Assert.Equal(("api", "db restarted; restarting with it"), (stop.Service, stop.Reason));
    }

    [Fact]
    public void A_lost_agents_replica_moves_and_a_pending_one_on_an_offline_agent_is_stopped_to_move()
    {
        var api = Service("api", replicas: 2);
        var plan = Plan(
            [api],
            [Replica(api, 1, ReplicaPhase.Lost, agent: "a"), Replica(api, 2, ReplicaPhase.Pending, agent: "a")],
            [Agent("a", status: AgentStatus.Offline), Agent("b")]
        );

        var start = Assert.Single(plan.Of<StartReplica>());
        Assert.Equal((1, "b", true), (start.Replica, start.Agent, start.Moved));
        var stop = Assert.Single(plan.Of<StopReplica>());
        Assert.Equal((2, true), (stop.Replica, stop.ThenRestart));
    }

    [Fact]
    public void A_lost_replica_is_not_placed_back_on_its_agent_until_that_agent_is_heard_from_again()
    {
        var api = Service("api", replicas: 2);
        // Agent a is still "online" to the fleet (not silent long enough), but its lease ran out after it was last
        // seen.
        var silent = Agent("a") with { LastSeenAt = Now.AddSeconds(-12) };
        var lost = Replica(api, 1, ReplicaPhase.Lost, agent: "a", ended: Now.AddSeconds(-2));
        var plan = Plan([api], [lost, Replica(api, 2, ReplicaPhase.Running, agent: "b")], [silent, Agent("b")]);

        var start = Assert.Single(plan.Of<StartReplica>());
        Assert.Equal((1, "b", true), (start.Replica, start.Agent, start.Moved));

        // Heard from after the loss (it restarted): it may take replicas again.
        var back = Plan([api], [lost, Replica(api, 2, ReplicaPhase.Running, agent: "b")], [Agent("a"), Agent("b")]);
        Assert.Equal("a", Assert.Single(back.Of<StartReplica>()).Agent);
    }

    [Fact]
    public void An_agent_that_registered_again_counts_by_its_latest_registration()
    {
        var old = Agent("a", status: AgentStatus.Offline) with { Id = "old", LastSeenAt = Now.AddHours(-1) };
        var plan = Plan([Db], [], [old, Agent("a")]);

        Assert.Equal("a", Assert.Single(plan.Of<StartReplica>()).Agent);
    }

    [Fact]
    public void Scaling_down_stops_the_highest_replicas_and_forgets_them_once_ended()
    {
        var api = Service("api", replicas: 1);
        var plan = Plan(
            [api],
            [
                Replica(api, 1, ReplicaPhase.Running),
                Replica(api, 2, ReplicaPhase.Running),
                Replica(api, 3, ReplicaPhase.Stopped),
            ]
        );

        var stop = Assert.Single(plan.Of<StopReplica>());
        Assert.Equal((2, false, "scaled to 1"), (stop.Replica, stop.ThenRestart, stop.Reason));
        Assert.Equal(3, Assert.Single(plan.Of<ForgetReplica>()).Replica);
    }

    [Fact]
    public void A_changed_definition_rolls_one_replica_at_a_time_new_before_old()
    {
        var v1 = Service("api", replicas: 2, check: Check);
        var v2 = v1 with { Image = "busybox:2" };
        var old = DefinitionHash.Of(v1);
        Assert.NotEqual(old, DefinitionHash.Of(v2));
        Assert.Equal(DefinitionHash.Of(v1), DefinitionHash.Of(v1 with { Replicas = 9 }));

        List<ReplicaStatus> replicas =
        [
            .. Enumerable
                .Range(1, 2)
                .Select(i =>
                    Replica(v1, i, ReplicaPhase.Running, agent: "a", health: ReplicaHealth.Healthy, hash: old)
                ),
        ];
        var plan = Plan([v2], replicas);
        var first = Assert.Single(plan.Actions);
        var start = Assert.IsType<StartReplica>(first);
        Assert.Equal(
            (1, 2, true, false, DefinitionHash.Of(v2)),
            (start.Replica, start.Generation, start.Beside, start.Restart, start.DefinitionHash)
        );
        // The old replica is on a: the new one goes to the agent with fewer of the service's replicas.
        Assert.Equal("b", start.Agent);

        // The new replica runs but is not healthy yet: the old one keeps serving and nothing else rolls.
        var next = Replica(v2, 1, ReplicaPhase.Running, agent: "b", health: ReplicaHealth.Starting) with
        {
            Generation = 2,
        };
        replicas[0] = replicas[0] with { Successor = next };
        Assert.Empty(Plan([v2], replicas).Actions);

        // Healthy: it takes the old one's place (which stops) and still nothing else rolls in this pass.
        replicas[0] = replicas[0] with { Successor = next with { Health = ReplicaHealth.Healthy } };
        var promote = Assert.Single(Plan([v2], replicas).Actions);
        Assert.Equal((1, "the new definition's replica is healthy"), (promote.Replica, promote.Reason));
        Assert.IsType<PromoteReplica>(promote);

        // Once replica 1 is the new definition and healthy, replica 2 rolls the same way.
        replicas[0] = next with { Health = ReplicaHealth.Healthy };
        var second = Assert.IsType<StartReplica>(Assert.Single(Plan([v2], replicas).Actions));
        Assert.Equal((2, true), (second.Replica, second.Beside));
    }

    [Fact]
    public void A_new_replica_that_fails_is_rolled_back_the_old_keeps_serving_and_the_roll_halts_until_the_file_changes()
    {
        var v1 = Service("api", replicas: 2, check: Check);
        var v2 = v1 with { Env = new Dictionary<string, string> { ["MODE"] = "broken" } };
        var old = DefinitionHash.Of(v1);
        var next = Replica(v2, 1, ReplicaPhase.Running, agent: "b", health: ReplicaHealth.Unhealthy) with
        {
            Generation = 2,
            HealthOutput = "wget: can't connect\n",
        };
        List<ReplicaStatus> replicas =
        [
            Replica(v1, 1, ReplicaPhase.Running, health: ReplicaHealth.Healthy, hash: old) with
            {
                Successor = next,
            },
            Replica(v1, 2, ReplicaPhase.Running, health: ReplicaHealth.Healthy, hash: old),
        ];
        var back = Assert.IsType<RollBackReplica>(Assert.Single(Plan([v2], replicas).Actions));
        Assert.True(back.Failed);
        Assert.Equal(1, back.Replica);
        Assert.Equal(
            "the new definition's replica failed: its health check failed (wget: can't connect); rolled back, the old one keeps serving",
            back.Reason
        );

        // An exit fails it the same way.
        replicas[0] = replicas[0] with
        {
            Successor = next with { Phase = ReplicaPhase.Exited, ExitCode = 3, Health = ReplicaHealth.Starting },
        };
        Assert.Contains(
            "it exited (3)",
            Assert.IsType<RollBackReplica>(Assert.Single(Plan([v2], replicas).Actions)).Reason
        );

        // Rolled back: no replica is stopped or started for that definition again; each waits and says why.
        replicas[0] = replicas[0] with { Successor = null, FailedHash = DefinitionHash.Of(v2), Generation = 2 };
        var halted = Plan([v2], replicas);
        Assert.Empty(halted.Of<StartReplica>());
        Assert.Empty(halted.Of<StopReplica>());
        Assert.Equal([1, 2], halted.Of<WaitReplica>().Select(w => w.Replica));
        Assert.All(halted.Of<WaitReplica>(), w => Assert.StartsWith("roll halted", w.Reason));

        // A fixed file is a new definition: it rolls again, with a generation the failed one did not use.
        var v3 = v1 with { Env = new Dictionary<string, string> { ["MODE"] = "fixed" } };
        var again = Assert.IsType<StartReplica>(Assert.Single(Plan([v3], replicas).Actions));
        Assert.Equal((1, 3, true), (again.Replica, again.Generation, again.Beside));

        // A new replica of a definition that changed again while it started goes, without halting anything.
        replicas[0] = replicas[0] with
        {
            FailedHash = null,
            Successor = next with { Health = ReplicaHealth.Starting },
        };
        var superseded = Assert.IsType<RollBackReplica>(Assert.Single(Plan([v3], replicas).Actions));
        Assert.False(superseded.Failed);
    }

    [Fact]
    public void Old_before_new_where_the_new_replica_would_take_the_old_ones_host_port_or_has_no_room()
    {
        var v1 = Service("web", check: Check) with
        {
            Ports = [new Hearth.Core.Runs.PublishedPort("127.0.0.1", 8080, 80)],
        };
        var v2 = v1 with { Image = "busybox:2" };
        ReplicaStatus[] replicas =
        [
            Replica(
                v1,
                1,
                ReplicaPhase.Running,
                agent: "a",
                health: ReplicaHealth.Healthy,
                hash: DefinitionHash.Of(v1)
            ),
        ];

        // One agent: the new replica would publish 8080 beside the old one, so the old one stops first.
        var stop = Assert.IsType<StopReplica>(Assert.Single(Plan([v2], replicas, [Agent("a")]).Actions));
        Assert.Equal((true, false), (stop.ThenRestart, stop.CountsAsRestart));
        Assert.Equal("rolling to the new definition (old before new: its host ports are the old one's)", stop.Reason);

        // Two agents: the new one goes to the other agent, where the port is free, and starts first.
        var beside = Assert.IsType<StartReplica>(Assert.Single(Plan([v2], replicas, [Agent("a"), Agent("b")]).Actions));
        Assert.Equal(("b", true), (beside.Agent, beside.Beside));

        // No port, but no agent has room for a second copy: old before new.
        var api = Service("api", check: Check);
        ReplicaStatus[] full =
        [
            Replica(api, 1, ReplicaPhase.Running, agent: "a", health: ReplicaHealth.Healthy, hash: "older"),
        ];
        var noRoom = Assert.IsType<StopReplica>(
            Assert.Single(Plan([api], full, [Agent("a", capacity: 1, running: 1)]).Actions)
        );
        Assert.StartsWith(
            "rolling to the new definition (old before new: no agent can take a second copy",
            noRoom.Reason
        );
    }

    [Fact]
    public void Down_or_a_scale_down_during_a_roll_removes_the_new_replica_with_the_old()
    {
        var api = Service("api", replicas: 1, check: Check);
        var next = Replica(api, 1, ReplicaPhase.Pending, agent: "b", health: ReplicaHealth.Starting) with
        {
            Generation = 2,
        };
        ReplicaStatus[] replicas =
        [
            Replica(api, 1, ReplicaPhase.Running, health: ReplicaHealth.Healthy, hash: "older") with
            {
                Successor = next,
            },
        ];

        var down = Plan([api], replicas, removing: true);
        Assert.Equal([typeof(RollBackReplica), typeof(StopReplica)], down.Actions.Select(a => a.GetType()));
        Assert.False(down.Of<RollBackReplica>().Single().Failed);
        Assert.False(down.ProjectGone);

        var scaled = Plan([api with { Replicas = 0 }], replicas);
        Assert.Equal([typeof(RollBackReplica), typeof(StopReplica)], scaled.Actions.Select(a => a.GetType()));
    }

    [Fact]
    public void Down_stops_every_live_replica_then_forgets_them_then_the_project_is_gone()
    {
        var stopping = Plan(
            [Db, Api],
            [Replica(Db, 1, ReplicaPhase.Running), Replica(Api, 1, ReplicaPhase.Exited, exit: 0)],
            removing: true
        );
        Assert.Equal(["db"], stopping.Of<StopReplica>().Select(s => s.Service));
        Assert.Equal(["api"], stopping.Of<ForgetReplica>().Select(s => s.Service));
        Assert.False(stopping.ProjectGone);

        Assert.True(Plan([Db, Api], [], removing: true).ProjectGone);
    }

    [Fact]
    public void The_same_snapshot_gives_the_same_plan()
    {
        var api = Service("api", replicas: 5);
        Assert.Equal(Plan([Db, api], []).Actions, Plan([Db, api], []).Actions);
    }

    [Fact]
    public void Compose_restart_values_parse_and_others_are_refused()
    {
        Assert.True(
            ServiceRestart.TryParse("on-failure:5", out var r) && r == new ServiceRestart(RestartMode.OnFailure, 5)
        );
        Assert.True(ServiceRestart.TryParse("unless-stopped", out r) && r.Mode == RestartMode.UnlessStopped);
        Assert.True(ServiceRestart.TryParse(null, out r) && r.Mode == RestartMode.No);
        Assert.False(ServiceRestart.TryParse("sometimes", out _));
        Assert.False(ServiceRestart.TryParse("on-failure:x", out _));
    }
}
