using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A compose project through `hearth up` end to end: a real server and agent, the oci driver, a busybox image pushed
/// to a loopback registry (the cluster shared with the other compose classes, ServiceCluster). db has a health check,
/// api waits for db healthy, web for api started. One project is brought up once for the class; the tests run in order
/// on it (up, ps and events, scale, down, then up again and down -v for db's named volume).
/// </summary>
[Collection(ServiceClusterCollection.Name)]
public sealed class ServiceProjectTests(ServiceProjectTests.Project project)
    : IClassFixture<ServiceProjectTests.Project>
{
    public sealed class Project(ServiceCluster services) : IAsyncLifetime
    {
        public HearthCluster Cluster => services.Cluster;
        public string Work { get; private set; } = null!;
        public string ComposeFile => Path.Combine(Work, "compose.yaml");

        public async Task InitializeAsync()
        {
            Work = services.DirectoryFor("services");
            var image = services.Image;
            await File.WriteAllTextAsync(
                ComposeFile,
                $$"""
                name: e2e-shop
                services:
                  db:
                    image: {{image}}
                    command: ["sh", "-c", "echo row >> /data/rows; sleep 1; touch /tmp/ready; exec sleep 3600"]
                    volumes: ["data:/data"]
                    healthcheck:
                      test: ["CMD-SHELL", "test -f /tmp/ready"]
                      interval: 1s
                      start_interval: 1s
                      retries: 3
                  api:
                    image: {{image}}
                    command: ["sleep", "3600"]
                    depends_on:
                      db: { condition: service_healthy }
                  web:
                    image: {{image}}
                    command: ["sleep", "3600"]
                    depends_on: [api]
                volumes:
                  data: {}
                """
            );
        }

        // The test brings the project down; this is for a test that failed before it.
        public async Task DisposeAsync() => await Cluster.CliAsync("down", "-p", "e2e-shop");
    }

    private Task<CliProcess.Result> Cli(params string[] args) => project.Cluster.CliAsync(args);

    [Fact]
    public async Task Up_starts_in_dependency_order_ps_shows_it_scale_adds_a_replica_and_down_leaves_nothing()
    {
        // The server is shared with the other compose classes (run before or after this one): their deployments are not
        // ours.
        var earlier = (await DeploymentsAsync()).Select(r => (string)r!["id"]!).ToHashSet();
        var up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", project.ComposeFile);
        Assert.True(up.ExitCode == 0, up.Stderr);
        Assert.Contains("3/3 replica(s) ready", up.Stderr);

        var ps = JsonNode.Parse((await Cli("ps", "-p", "e2e-shop", "-o", "json")).Stdout)!;
        var replicas = ps["replicas"]!.AsArray();
        Assert.Equal(["api-1", "db-1", "web-1"], replicas.Select(r => (string)r!["name"]!));
        Assert.All(replicas, r => Assert.Equal("running", (string)r!["state"]!));
        Assert.Equal("healthy", (string)replicas.Single(r => (string)r!["name"]! == "db-1")!["health"]!);

        // Order: api was created only once db was healthy, web only once api had started.
        var events = JsonNode.Parse((await Cli("events", "-p", "e2e-shop", "-o", "json")).Stdout)!["events"]!.AsArray();
        long Seq(string service, string kind) =>
            (long)events.First(e => (string)e!["service"]! == service && (string)e["kind"]! == kind)!["seq"]!;
        Assert.True(Seq("api", "created") > Seq("db", "healthy"));
        Assert.True(Seq("web", "created") > Seq("api", "started"));

        var scale = await Cli("scale", "-p", "e2e-shop", "api=2");
        Assert.True(scale.ExitCode == 0, scale.Stderr);
        await Until(
            async () =>
                JsonNode.Parse((await Cli("ps", "-p", "e2e-shop", "-o", "json")).Stdout)!["replicas"]!
                    .AsArray()
                    .Any(r => (string)r!["name"]! == "api-2" && (string)r["state"]! == "running"),
            "api-2 running"
        );

        var down = await Cli("down", "-p", "e2e-shop");
        Assert.True(down.ExitCode == 0, down.Stderr);
        var gone = await Cli("ps", "-p", "e2e-shop");
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("no project named 'e2e-shop'", gone.Stderr);
        // Every replica's run ended: nothing of the project runs on the agent.
        var deployments = (await DeploymentsAsync()).Where(r => !earlier.Contains((string)r!["id"]!)).ToList();
        Assert.Equal(4, deployments.Count);
        Assert.All(deployments, r => Assert.Equal("STOPPED", (string)r!["status"]!));

        // down keeps db's named volume on the agent; down -v removes it (the agent's sweep).
        var volume = Path.Combine(project.Cluster.StateDirectoryOf("agent-1"), "volumes", "e2e-shop_data");
        Assert.Equal("row", (await File.ReadAllTextAsync(Path.Combine(volume, "data", "rows"))).Trim());
        up = await Cli("up", "-d", "-f", project.ComposeFile);
        Assert.True(up.ExitCode == 0, up.Stderr);
        await Until(
            () => Task.FromResult(File.ReadAllLines(Path.Combine(volume, "data", "rows")).Length == 2),
            "db-1 writes its volume again"
        );
        down = await Cli("down", "-v", "-p", "e2e-shop");
        Assert.True(down.ExitCode == 0, down.Stderr);
        await Until(() => Task.FromResult(!Directory.Exists(volume)), "the volume removed on the agent");
    }

    [Fact]
    public async Task Usage_errors_exit_2_naming_what_is_wrong()
    {
        var scale = await Cli("scale", "-p", "e2e-shop", "api");
        Assert.Equal(2, scale.ExitCode);
        Assert.Contains("expected SERVICE=N", scale.Stderr);

        var missing = await Cli("up", "-f", Path.Combine(project.Work, "nope.yaml"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.yaml", missing.Stderr);
    }

    private async Task<List<JsonNode?>> DeploymentsAsync() =>
        JsonNode.Parse((await Cli("list", "-n", "0", "-o", "json")).Stdout)!["runs"]!
            .AsArray()
            .Where(r => (string)r!["kind"]! == "deployment")
            .ToList();

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(40);
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await condition())
                return;
            await Task.Delay(300);
        }
        Assert.Fail($"not reached within 40 s: {what}");
    }
}
