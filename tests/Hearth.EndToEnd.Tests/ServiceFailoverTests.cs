using System.Diagnostics;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A service of two replicas on two agents (each its own bridge and subnet), end to end with the oci driver, through
/// what happens to a cluster: an agent restarted (its containers recovered, nothing restarted), an agent killed (its
/// replica placed on the survivor within the lease TTL and a grace; the old copy stopped when the agent returns), the
/// server restarted (the reconciler resumes, healthy replicas untouched), and <c>down</c>, which leaves nothing on the
/// host. In this order: the last one ends the project.
/// </summary>
[TestCaseOrderer(DeclaredOrder.Name, DeclaredOrder.Assembly)]
public sealed class ServiceFailoverTests(ServiceFailoverTests.Fixture project)
    : IClassFixture<ServiceFailoverTests.Fixture>
{
    public sealed class Fixture : TwoAgentProject
    {
        public const int TtlSeconds = 10;

        public override string Project => "e2e-move";

        public override IReadOnlyList<AgentNetwork> AgentNetworks { get; } =
        [new("move-a", "10.203.0.0/16", "hrc"), new("move-b", "10.204.0.0/16", "hrd")];

        protected override string LeaseTtl => $"{TtlSeconds}s";

        protected override string Compose() =>
            $$"""
                name: e2e-move
                services:
                  svc:
                    image: {{Image}}
                    restart: always
                    command: ["sh", "-c", "touch /tmp/ok; exec sleep {{Marker}}"]
                    deploy:
                      replicas: 2
                    healthcheck:
                      test: ["CMD-SHELL", "test -f /tmp/ok"]
                      interval: 1s
                      start_interval: 1s
                      retries: 2
                """;

        /// <summary>Every task id the project ran, for the check that nothing of them is left.</summary>
        public HashSet<string> Tasks { get; } = [];
    }

    private string Sleep => $"sleep {project.Marker}";

    private static bool BothUp(IReadOnlyDictionary<string, Replica> replicas) =>
        replicas.Count == 2 && replicas.Values.All(r => r.Up);

    private async Task<IReadOnlyDictionary<string, Replica>> SettledAsync()
    {
        var replicas = await project.UntilAsync(BothUp, "both replicas up");
        foreach (var replica in replicas.Values)
            project.Tasks.Add(replica.TaskId!);
        return replicas;
    }

    private int Pid(Replica replica) =>
        TwoAgentProject.MainPid(replica.TaskId!, Sleep)
        ?? throw new InvalidOperationException($"no main process for {replica}");

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}");

    private TwoAgentProject.AgentNetwork AgentNamed(string name) => project.AgentNetworks.Single(a => a.Name == name);

    private RunningProcess ProcessOf(string agent) =>
        project.Cluster.Agents.Single(a => a.Process.StartInfo.ArgumentList.Contains(agent));

    [Fact, Step(1)]
    public async Task An_agent_restarted_within_its_lease_recovers_its_replica_and_nothing_restarts()
    {
        var before = await SettledAsync();
        var replica = before.Values.First();
        var pid = Pid(replica);
        var killedAt = Stopwatch.StartNew();
        await project.Cluster.KillAgentAsync(ProcessOf(replica.Agent!));
        var agent = await project.StartAgentAsync(AgentNamed(replica.Agent!));
        var registeredAfter = killedAt.Elapsed;

        // Past the lease TTL from the kill (a lease the restart did not take up would have expired by then), with a
        // reconciler pass done since (it made svc-3): the replica is the same task, the same process, never restarted.
        var scale = await project.Cli("scale", "-p", project.Project, "svc=3");
        Assert.True(scale.ExitCode == 0, scale.Stderr);
        var after = await project.UntilAsync(
            r =>
                killedAt.Elapsed > TimeSpan.FromSeconds(Fixture.TtlSeconds + 2)
                && r.TryGetValue("svc-3", out var third)
                && third.Up,
            "svc-3 up, the lease TTL passed since the kill"
        );
        Assert.True(
            replica.TaskId == after[replica.Name].TaskId && replica.Restarts == after[replica.Name].Restarts,
            $"{replica.Name} was {replica}, is {after[replica.Name]}; the agent registered again {registeredAfter.TotalSeconds:F1} s "
                + $"after the kill; events: {await project.EventsAsync()}; agent: {agent.Stderr}{agent.Stdout}"
        );
        Assert.True(Alive(pid), $"{replica.Name}'s process {pid} died");
        project.Tasks.Add(after["svc-3"].TaskId!);
        Assert.True((await project.Cli("scale", "-p", project.Project, "svc=2")).ExitCode == 0);
        await project.UntilAsync(BothUp, "back to two replicas");
    }

    [Fact, Step(2)]
    public async Task A_killed_agent_s_replica_runs_on_the_survivor_within_the_ttl_and_its_old_copy_is_stopped_when_it_returns()
    {
        var before = await SettledAsync();
        // The replicas spread one per agent after `up`, but the steps before may have left both on one: the victim is
        // the agent of svc-1, whatever else it runs; what it runs moves, what the survivor runs stays.
        var victim = before["svc-1"].Agent!;
        var survivor = project.AgentNetworks.Single(a => a.Name != victim).Name;
        var lost = before.Values.Where(r => r.Agent == victim).ToList();
        var kept = before.Values.Where(r => r.Agent != victim).ToList();
        var oldPids = lost.Select(Pid).ToList();
        var clock = Stopwatch.StartNew();
        await project.Cluster.KillAgentAsync(ProcessOf(victim));

        var moved = await project.UntilAsync(
            r => lost.All(l => r[l.Name].Agent == survivor && r[l.Name].Up),
            $"{string.Join(", ", lost.Select(l => l.Name))} up on {survivor}",
            seconds: Fixture.TtlSeconds + 30
        );
        var took = clock.Elapsed;
        Assert.All(kept, k => Assert.Equal(k.TaskId, moved[k.Name].TaskId));
        foreach (var replica in lost)
            project.Tasks.Add(moved[replica.Name].TaskId!);
        Assert.Contains(await project.EventsAsync(), e =>
            (string)e!["kind"]! == "moved" && (string)e["service"]! == "svc"
        );
        // The sandboxes outlived their agent (it could have been a network partition), so two copies run for now...
        Assert.All(oldPids, pid => Assert.True(Alive(pid), "an old copy died with its agent"));

        // ...until the agent returns: its leases are gone, so it stops the old copies instead of recovering them.
        await project.StartAgentAsync(AgentNamed(victim));
        await FaultTests.WaitUntilAsync(() => !oldPids.Any(Alive), $"the old copies on {victim} to be stopped");
        var after = await project.UntilAsync(BothUp, "both replicas up");
        Assert.All(lost, l => Assert.Equal(moved[l.Name].TaskId, after[l.Name].TaskId));
        Assert.Equal(2, CountMainProcesses());
        // TTL plus a grace: expiry is noticed on the server's rescue pass, then the reconciler places and starts them.
        Assert.True(took < TimeSpan.FromSeconds(Fixture.TtlSeconds + 15), $"moved after {took.TotalSeconds:F1} s");
    }

    [Fact, Step(3)]
    public async Task A_restarted_server_resumes_without_restarting_healthy_replicas()
    {
        var before = await SettledAsync();
        var pids = before.Values.ToDictionary(r => r.Name, Pid);
        await project.Cluster.KillServerAsync();
        await project.Cluster.RestartServerAsync();

        // The reconciler runs again (it adds svc-3) and leaves the two healthy replicas as they were.
        var scale = await project.Cli("scale", "-p", project.Project, "svc=3");
        Assert.True(scale.ExitCode == 0, scale.Stderr);
        var after = await project.UntilAsync(
            r => r.TryGetValue("svc-3", out var third) && third.Up,
            $"svc-3 up after the restart (server: {Tail(project.Cluster.Server.Stdout + project.Cluster.Server.Stderr)})"
        );
        foreach (var replica in before.Values)
        {
            Assert.Equal(replica.TaskId, after[replica.Name].TaskId);
            Assert.Equal(replica.Restarts, after[replica.Name].Restarts);
            Assert.True(Alive(pids[replica.Name]), $"{replica.Name}'s process died");
        }
        project.Tasks.Add(after["svc-3"].TaskId!);
    }

    [Fact, Step(4)]
    public async Task Down_leaves_nothing_on_the_host()
    {
        var replicas = await project.PsAsync();
        foreach (var replica in replicas.Values)
            if (replica.TaskId is { } id)
                project.Tasks.Add(id);
        var down = await project.Cli("down", "-p", project.Project);
        Assert.True(down.ExitCode == 0, down.Stderr);
        Assert.Equal(0, CountMainProcesses());

        // Direct inspection, by each task's sandboxes (named TASK-aN-eN): no container state, network namespace,
        // cgroup or mount; no bridge, nftables table or DNS listener of the agents' networks.
        bool Ours(string name) => project.Tasks.Any(task => name.Contains(task, StringComparison.Ordinal));
        Assert.DoesNotContain(Entries("/run/hearth/oci"), Ours);
        Assert.DoesNotContain(Entries("/run/netns"), Ours);
        // cgroup v2 (hearth/ID) or v1 (CONTROLLER/hearth/ID).
        Assert.DoesNotContain(Entries("/sys/fs/cgroup/hearth"), Ours);
        foreach (var controller in Directory.EnumerateDirectories("/sys/fs/cgroup"))
            Assert.DoesNotContain(Entries(Path.Combine(controller, "hearth")), Ours);
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mountinfo"), Ours);
        var links = (await Host("ip", "-br", "link")).Split('\n').Select(l => l.Split(' ')[0]).ToList();
        var tables = await Host("nft", "list", "tables");
        var sockets = await Host("ss", "-uln");
        foreach (var agent in project.AgentNetworks)
        {
            Assert.DoesNotContain(links, l => l.StartsWith(agent.BridgePrefix, StringComparison.Ordinal));
            Assert.DoesNotContain($"hearth_{agent.BridgePrefix}", tables);
            Assert.DoesNotContain(
                agent.Subnets[..agent.Subnets.IndexOf(".0.0/", StringComparison.Ordinal)] + ".",
                sockets
            );
        }

        // The agents' own orphan reaper finds nothing either (it runs only on a stopped agent's scratch directory).
        foreach (var agent in project.Cluster.Agents.ToList())
        {
            agent.Signal(15);
            Assert.Equal(0, await agent.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        foreach (var agent in project.AgentNetworks)
        {
            var reap = await project.Cli(
                "agent",
                "reap",
                "--dry-run",
                "--scratch",
                Path.Combine(project.Cluster.DataDir, "scratch-" + agent.Name),
                "--images",
                project.Cluster.ImageStore,
                "--service-bridge-prefix",
                agent.BridgePrefix
            );
            Assert.True(reap.ExitCode == 0, $"{agent.Name}: {reap.Stdout}{reap.Stderr}");
            Assert.Contains("0 orphaned resource(s) found", reap.Stderr);
        }
    }

    [Fact, Step(5)]
    public async Task An_agent_s_service_range_and_bridge_prefix_are_checked()
    {
        string[] agent = ["agent", "--server", project.Cluster.Url, "--token-file", project.Cluster.AgentTokenFile];
        var prefix = await project.Cli([.. agent, "--service-bridge-prefix", "Hsv-9"]);
        Assert.Equal(2, prefix.ExitCode);
        Assert.Contains("--service-bridge-prefix 'Hsv-9': expected 1 to 8 lowercase letters or digits", prefix.Stderr);
        var range = await project.Cli([.. agent, "--service-subnets", "10.90.0.0/25"]);
        Assert.Equal(2, range.ExitCode);
        Assert.Contains("--service-subnets '10.90.0.0/25': expected an IPv4 range from /8 to /24", range.Stderr);
    }

    private static string Tail(string log) => log[^Math.Min(3000, log.Length)..];

    private int CountMainProcesses() => AdHocRunTests.CountProcesses(Sleep);

    private static IEnumerable<string> Entries(string directory) =>
        Directory.Exists(directory)
            ? Directory.EnumerateFileSystemEntries(directory).Select(e => Path.GetFileName(e))
            : [];

    private static async Task<string> Host(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
