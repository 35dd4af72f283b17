using Hearth.Core.Placement;
using Hearth.Core.Services;

namespace Hearth.Core.Tests.Services;

/// <summary>
/// Replicas that share another service's replica's namespaces or volumes (network_mode / ipc: service:X, volumes_from):
/// replica i pairs with X's replica i and goes to its agent, waits until it runs there, and follows it when it restarts
/// or moves. Pure decisions over snapshots.
/// </summary>
public sealed class CoPlacementTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    private static AgentSnapshot Agent(
        string name,
        int capacity = 8,
        int running = 0,
        AgentStatus status = AgentStatus.Online
    )
    {
        var labels = new Dictionary<string, string> { ["driver.oci"] = "true" };
        return new AgentSnapshot(
            name + "-id",
            name,
            status,
            labels,
            AgentSnapshot.DriversFromLabels(labels),
            capacity,
            running,
            Now
        );
    }

    private static readonly ServiceDefinition Web = new()
    {
        Name = "web",
        Image = "busybox",
        Replicas = 2,
    };

    private static readonly ServiceDefinition Sidecar = new()
    {
        Name = "sidecar",
        Image = "busybox",
        Replicas = 2,
        NetworkMode = "service:web",
        IpcOf = "web",
        Restart = new ServiceRestart(RestartMode.Always),
    };

    private static readonly ServiceDefinition Backup = new()
    {
        Name = "backup",
        Image = "busybox",
        VolumesFrom = ["web"],
    };

    private static ReplicaStatus Replica(
        ServiceDefinition service,
        int index,
        ReplicaPhase phase,
        string agent,
        DateTimeOffset? started = null
    ) =>
        new()
        {
            Service = service.Name,
            Replica = index,
            Generation = 1,
            DefinitionHash = DefinitionHash.Of(service),
            Phase = phase,
            Agent = agent,
            StartedAt = started ?? Now.AddMinutes(-10),
        };

    private static ServicePlan Plan(
        IReadOnlyList<ServiceDefinition> services,
        IReadOnlyList<ReplicaStatus> replicas,
        IReadOnlyList<AgentSnapshot>? agents = null
    ) =>
        ServiceReconciler.Plan(
            new ServiceSnapshot(
                new ProjectSpec { Name = "p", Services = services },
                false,
                replicas,
                agents ?? [Agent("a"), Agent("b")],
                Now
            )
        );

    [Fact]
    public void A_sharing_replica_waits_for_its_partner_to_run_then_goes_to_its_agent_replica_by_replica()
    {
        var first = Plan([Web, Sidecar, Backup], []);
        Assert.Equal(["web-1", "web-2"], first.Of<StartReplica>().Select(s => s.Name).Order());
        Assert.Equal(
            [
                ("backup-1", "waiting: web-1 is not placed (volumes_from: web)"),
                ("sidecar-1", "waiting: web-1 is not running (network_mode: service:web, ipc: service:web)"),
                ("sidecar-2", "waiting: web-2 is not running (network_mode: service:web, ipc: service:web)"),
            ],
            first.Of<WaitReplica>().Select(w => (w.Name, w.Reason)).Order()
        );

        // web-1 is placed (pending) on b, web-2 runs on a: the volume user may go to b already; the sidecar only beside
        // web-2.
        var second = Plan(
            [Web, Sidecar, Backup],
            [Replica(Web, 1, ReplicaPhase.Pending, "b"), Replica(Web, 2, ReplicaPhase.Running, "a")]
        );
        Assert.Equal(
            [("backup-1", "b"), ("sidecar-2", "a")],
            second.Of<StartReplica>().Select(s => (s.Name, s.Agent)).Order()
        );
        Assert.Equal("sidecar-1", Assert.Single(second.Of<WaitReplica>()).Name);
    }

    [Fact]
    public void A_partner_agent_without_room_or_offline_makes_it_wait_and_never_elsewhere()
    {
        var full = Plan(
            [Web, Sidecar],
            [Replica(Web, 1, ReplicaPhase.Running, "a"), Replica(Web, 2, ReplicaPhase.Running, "a")],
            [Agent("a", capacity: 2, running: 2), Agent("b")]
        );
        Assert.Empty(full.Of<StartReplica>());
        Assert.Equal(
            "no agent can take it: every agent that fits is at capacity (it must run on a, beside web-1)",
            full.Of<WaitReplica>().First(w => w.Replica == 1).Reason
        );

        var offline = Plan(
            [Web with { Replicas = 1 }, Sidecar with { Replicas = 1 }],
            [Replica(Web, 1, ReplicaPhase.Running, "a")],
            [Agent("a", status: AgentStatus.Offline), Agent("b")]
        );
        Assert.DoesNotContain(offline.Of<StartReplica>(), s => s.Service == "sidecar");
        Assert.Equal(
            "no agent can take it: no agent is online (it must run on a, beside web-1)",
            offline.Of<WaitReplica>().Single(w => w.Service == "sidecar").Reason
        );
    }

    [Fact]
    public void More_replicas_than_the_partner_has_wait_naming_the_pairing()
    {
        var plan = Plan([Web with { Replicas = 1 }, Sidecar], [Replica(Web, 1, ReplicaPhase.Running, "a")]);
        Assert.Equal(
            ("sidecar-1", "a"),
            (Assert.Single(plan.Of<StartReplica>()).Name, plan.Of<StartReplica>().Single().Agent)
        );
        Assert.Equal(
            "web has 1 replica(s): replica i of sidecar runs beside web-i (network_mode: service:web, ipc: service:web)",
            Assert.Single(plan.Of<WaitReplica>()).Reason
        );
    }

    [Fact]
    public void Partners_on_different_agents_are_said_in_words()
    {
        var db = new ServiceDefinition { Name = "db", Image = "busybox" };
        var both = new ServiceDefinition
        {
            Name = "both",
            Image = "busybox",
            NetworkMode = "service:web",
            VolumesFrom = ["db"],
        };
        var plan = Plan(
            [Web with { Replicas = 1 }, db, both],
            [Replica(Web, 1, ReplicaPhase.Running, "a"), Replica(db, 1, ReplicaPhase.Running, "b")]
        );
        Assert.Equal(
            "waiting: web-1 runs on a and db-1 on b; both-1 must run beside both",
            Assert.Single(plan.Of<WaitReplica>()).Reason
        );
    }

    [Fact]
    public void A_sharing_replica_restarts_when_its_partner_restarted_after_it_or_moved()
    {
        var restarted = Plan(
            [Web, Sidecar],
            [
                Replica(Web, 1, ReplicaPhase.Running, "a", started: Now.AddSeconds(-3)),
                Replica(Web, 2, ReplicaPhase.Running, "b"),
                Replica(Sidecar, 1, ReplicaPhase.Running, "a", started: Now.AddMinutes(-5)),
                Replica(Sidecar, 2, ReplicaPhase.Running, "b"),
            ]
        );
        var stop = Assert.Single(restarted.Of<StopReplica>());
        Assert.Equal(
            ("sidecar-1", true, "web-1 restarted; restarting with it (network_mode: service:web, ipc: service:web)"),
            (stop.Name, stop.ThenRestart, stop.Reason)
        );

        // web-2 moved to a (its agent b was lost); the sidecar still pending on b follows it.
        var moved = Plan(
            [Web, Sidecar],
            [
                Replica(Web, 1, ReplicaPhase.Running, "a"),
                Replica(Web, 2, ReplicaPhase.Running, "a", started: Now.AddSeconds(-1)),
                Replica(Sidecar, 1, ReplicaPhase.Running, "a"),
                Replica(Sidecar, 2, ReplicaPhase.Pending, "b"),
            ]
        );
        Assert.Equal(
            ("sidecar-2", "web-2 runs on a now; following it (network_mode: service:web, ipc: service:web)"),
            (Assert.Single(moved.Of<StopReplica>()).Name, moved.Of<StopReplica>().Single().Reason)
        );
    }

    [Fact]
    public void A_changed_sharing_service_rolls_old_before_new()
    {
        var changed = Sidecar with { Env = new Dictionary<string, string> { ["V"] = "2" } };
        var plan = Plan(
            [Web, changed],
            [
                Replica(Web, 1, ReplicaPhase.Running, "a"),
                Replica(Web, 2, ReplicaPhase.Running, "b"),
                Replica(Sidecar, 1, ReplicaPhase.Running, "a"),
                Replica(Sidecar, 2, ReplicaPhase.Running, "b"),
            ]
        );
        Assert.Empty(plan.Of<StartReplica>());
        var stop = Assert.Single(plan.Of<StopReplica>());
        Assert.Equal(("sidecar-1", true), (stop.Name, stop.ThenRestart));
        Assert.StartsWith("rolling to the new definition (old before new", stop.Reason);
    }

    private static readonly ServiceDefinition Dns = new()
    {
        Name = "dns",
        Image = "busybox",
        Networks = [new ServiceNetworkAttachment("dns-net", [], "172.20.0.2", "172.20.0.0/24")],
    };

    private static readonly ServiceDefinition Resolver = new()
    {
        Name = "resolver",
        Image = "busybox",
        Replicas = 3,
        Networks =
        [
            new ServiceNetworkAttachment("dns-net", [], null, "172.20.0.0/24"),
            new ServiceNetworkAttachment("plain", []),
        ],
    };

    [Fact]
    public void A_network_with_a_declared_subnet_keeps_every_replica_on_it_on_one_agent()
    {
        // Placed in one pass: the first replica on the network decides its agent for the others.
        var first = Plan([Dns, Resolver], []);
        Assert.Equal(["a"], first.Of<StartReplica>().Select(s => s.Agent).Distinct());
        Assert.Equal(4, first.Of<StartReplica>().Count());

        // Once a replica runs there, the others follow it, though b is emptier; a full agent makes them wait, never
        // elsewhere.
        var later = Plan([Dns, Resolver], [Replica(Dns, 1, ReplicaPhase.Running, "b")]);
        Assert.Equal(["b"], later.Of<StartReplica>().Select(s => s.Agent).Distinct());
        var full = Plan(
            [Dns, Resolver],
            [Replica(Dns, 1, ReplicaPhase.Running, "b")],
            [Agent("a"), Agent("b", capacity: 1, running: 1)]
        );
        Assert.Empty(full.Of<StartReplica>());
        Assert.Equal(
            "no agent can take it: every agent that fits is at capacity (it must run on b, beside network dns-net)",
            full.Of<WaitReplica>().First().Reason
        );

        // Sharing a namespace with a replica elsewhere cannot be met together with the network's agent.
        var sidecar = new ServiceDefinition
        {
            Name = "side",
            Image = "busybox",
            IpcOf = "web",
            Networks = Resolver.Networks,
        };
        var split = Plan(
            [Web with { Replicas = 1 }, Dns, sidecar],
            [Replica(Web, 1, ReplicaPhase.Running, "a"), Replica(Dns, 1, ReplicaPhase.Running, "b")]
        );
        Assert.Equal(
            "waiting: network dns-net (declared subnet 172.20.0.0/24) is on b and web-1 on a; side-1 must run beside both",
            Assert.Single(split.Of<WaitReplica>()).Reason
        );
    }

    [Fact]
    public void A_replica_with_a_fixed_address_rolls_old_before_new()
    {
        var changed = Dns with { Env = new Dictionary<string, string> { ["V"] = "2" } };
        var plan = Plan([changed], [Replica(Dns, 1, ReplicaPhase.Running, "a")]);
        Assert.Empty(plan.Of<StartReplica>());
        Assert.StartsWith(
            "rolling to the new definition (old before new",
            Assert.Single(plan.Of<StopReplica>()).Reason
        );
    }

    [Fact]
    public void Unset_sharing_fields_leave_the_definition_hash_as_it_was()
    {
        // Projects deployed before these fields existed must not roll on upgrade.
        Assert.NotEqual(DefinitionHash.Of(Web), DefinitionHash.Of(Web with { NetworkMode = "none" }));
        Assert.DoesNotContain("network_mode", Hearth.Core.HearthJson.Serialize(Web));
        Assert.DoesNotContain("ipc_of", Hearth.Core.HearthJson.Serialize(Web));
        Assert.DoesNotContain("volumes_from", Hearth.Core.HearthJson.Serialize(Web));
        Assert.DoesNotContain("co_placed", Hearth.Core.HearthJson.Serialize(Sidecar));
    }
}
