namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A compose project on two agents (each its own bridge and subnet), end to end with the oci driver: a killed db is
/// restarted and so are the dependants that declare <c>restart: true</c> on it; an api whose health check starts
/// failing is restarted after its retries; <c>scale api=3</c> spreads over both agents, and a replica on one agent
/// reaches the replicas on the other by name.
/// </summary>
public sealed class ServiceHealingTests(ServiceHealingTests.Fixture project)
    : IClassFixture<ServiceHealingTests.Fixture>
{
    public sealed class Fixture : TwoAgentProject
    {
        public override string Project => "e2e-heal";

        public override IReadOnlyList<AgentNetwork> AgentNetworks { get; } =
        [new("heal-a", "10.201.0.0/16", "hra"), new("heal-b", "10.202.0.0/16", "hrb")];

        protected override string Compose() =>
            $$"""
                name: e2e-heal
                services:
                  db:
                    image: {{Image}}
                    restart: always
                    command: ["sh", "-c", "touch /tmp/ready; exec sleep {{Marker}}"]
                    healthcheck:
                      test: ["CMD-SHELL", "test -f /tmp/ready"]
                      interval: 1s
                      start_interval: 1s
                      retries: 2
                  api:
                    image: {{Image}}
                    restart: always
                    command: ["sh", "-c", "echo api > /tmp/index.html; touch /tmp/ok; exec httpd -f -p 8080 -h /tmp"]
                    healthcheck:
                      test: ["CMD-SHELL", "test -f /tmp/ok"]
                      interval: 1s
                      start_interval: 1s
                      retries: 2
                    depends_on:
                      db: { condition: service_healthy, restart: true }
                  web:
                    image: {{Image}}
                    restart: always
                    command: ["sleep", "{{Marker}}"]
                    depends_on: [api]
                """;
    }

    private const string ApiCommand = "httpd -f -p 8080 -h /tmp";

    private static bool AllUp(IReadOnlyDictionary<string, Replica> replicas) =>
        replicas.Count > 0 && replicas.Values.All(r => r.Up);

    [Fact]
    public async Task Killing_the_db_restarts_it_and_its_restart_true_dependants_and_an_api_failing_its_check_is_restarted()
    {
        var before = await project.UntilAsync(AllUp, "every replica up");
        var db = before["db-1"];
        var pid = TwoAgentProject.MainPid(db.TaskId!, $"sleep {project.Marker}");
        Assert.True(pid is not null, $"db-1's main process (task {db.TaskId}) not found");

        // kill -9 of the container's main process, from the host.
        System.Diagnostics.Process.GetProcessById(pid.Value).Kill();

        var apis = before.Values.Where(r => r.Service == "api").ToList();
        var after = await project.UntilAsync(
            r =>
                r["db-1"].TaskId != db.TaskId
                && r["db-1"].Up
                && apis.All(api => r[api.Name].TaskId != api.TaskId && r[api.Name].Up),
            "db-1 and every api replica restarted and up"
        );
        Assert.Equal(db.Restarts + 1, after["db-1"].Restarts);
        Assert.All(apis, api =>
            Assert.True(after[api.Name].Restarts > api.Restarts, $"{api.Name} was not counted as restarted")
        );
        // web depends on api without restart: true: it keeps running, untouched.
        Assert.Equal(before["web-1"].TaskId, after["web-1"].TaskId);
        Assert.Equal(before["web-1"].Restarts, after["web-1"].Restarts);
        Assert.Null(TwoAgentProject.MainPid(db.TaskId!, $"sleep {project.Marker}"));

        // The api's health check tests /tmp/ok: removed through the container's root, the check fails, and after its
        // 2 retries the replica is restarted.
        var api = after["api-1"];
        var apiPid = TwoAgentProject.MainPid(api.TaskId!, ApiCommand);
        Assert.True(apiPid is not null, $"api-1's main process (task {api.TaskId}) not found");
        var lastSeq = (long)(await project.EventsAsync()).Last()!["seq"]!;
        File.Delete($"/proc/{apiPid}/root/tmp/ok");

        var healed = await project.UntilAsync(
            r => r["api-1"].TaskId != api.TaskId && r["api-1"].Up,
            "api-1 restarted after failing its check"
        );
        Assert.Equal(api.Restarts + 1, healed["api-1"].Restarts);
        var events = await project.EventsAsync();
        Assert.Contains(events, e =>
            (long)e!["seq"]! > lastSeq
            && (string)e["service"]! == "api"
            && (int)e["replica"]! == 1
            && (string)e["kind"]! == "unhealthy"
        );
        // Only api-1 failed: db and web were left alone.
        Assert.Equal(after["db-1"].TaskId, healed["db-1"].TaskId);
        Assert.Equal(after["web-1"].TaskId, healed["web-1"].TaskId);
    }

    [Fact]
    public async Task Scale_api_to_3_spreads_over_both_agents_and_web_reaches_every_api_replica_by_name()
    {
        var scale = await project.Cli("scale", "-p", project.Project, "api=3");
        Assert.True(scale.ExitCode == 0, scale.Stderr);
        var replicas = await project.UntilAsync(
            r => AllUp(r) && r.Values.Count(x => x.Service == "api") == 3,
            "3 api replicas up"
        );
        var apis = replicas.Values.Where(r => r.Service == "api").ToList();
        Assert.Equal(["heal-a", "heal-b"], apis.Select(r => r.Agent!).Distinct().Order());

        // Each agent's replicas are on its own subnet of the project's default network.
        foreach (var api in apis)
        {
            var range = project.AgentNetworks.Single(a => a.Name == api.Agent).Subnets;
            Assert.StartsWith(
                range[..range.LastIndexOf(".0.0/", StringComparison.Ordinal)] + ".",
                api.Addresses["default"]
            );
        }

        var web = replicas["web-1"];
        var webPid = TwoAgentProject.MainPid(web.TaskId!, $"sleep {project.Marker}");
        Assert.True(webPid is not null, $"web-1's main process (task {web.TaskId}) not found");
        var elsewhere = apis.Where(a => a.Agent != web.Agent).ToList();
        Assert.NotEmpty(elsewhere);
        foreach (var api in apis)
        {
            // The name resolves through web's own agent's embedded DNS (its resolv.conf) to the replica's address...
            var lookup = await TwoAgentProject.InReplicaAsync(webPid.Value, "nslookup", api.Name);
            Assert.True(lookup.ExitCode == 0, $"nslookup {api.Name} from web-1 on {web.Agent}: {lookup.Output}");
            var answer = lookup.Output[lookup.Output.IndexOf("Name:", StringComparison.Ordinal)..];
            Assert.Contains(api.Addresses["default"], answer);
            // ...and web reaches the replica by that name, across the agents' bridges for those on the other agent.
            // (No -T: busybox 1.35's wget crashes with a timeout set.)
            var fetch = await TwoAgentProject.InReplicaAsync(
                webPid.Value,
                "wget",
                "-q",
                "-O",
                "-",
                $"http://{api.Name}:8080/"
            );
            Assert.True(
                fetch.ExitCode == 0 && fetch.Output.Trim() == "api",
                $"wget {api.Name} ({api.Addresses["default"]} on {api.Agent}) from web-1 on {web.Agent}: {fetch.ExitCode} {fetch.Output}"
            );
        }
        // The service name answers every replica, on both agents.
        var all = await TwoAgentProject.InReplicaAsync(webPid.Value, "nslookup", "api");
        Assert.All(apis, api => Assert.Contains(api.Addresses["default"], all.Output));
    }
}
