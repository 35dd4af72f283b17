using System.Text.Json.Nodes;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A rolling update through `hearth up` end to end (a real server and agent, the oci driver, busybox from a loopback
/// registry; the cluster shared with the other compose classes, ServiceCluster): api is busybox httpd serving the value
/// of its MODE variable, reached from the host at its address on the project's bridge; db never changes. Changing api's
/// environment replaces only api, the new replica started before the old one stops; a new definition whose health
/// check fails is rolled back while the old replica keeps answering.
/// </summary>
[Collection(ServiceClusterCollection.Name)]
public sealed class ServiceRolloutTests(ServiceCluster services) : IAsyncLifetime
{
    private readonly HearthCluster _cluster = services.Cluster;
    private readonly string _image = services.Image;
    private string _work = null!;

    private string ComposeFile => Path.Combine(_work, "compose.yaml");

    public Task InitializeAsync()
    {
        _work = services.DirectoryFor("rollout");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.CliAsync("down", "-p", "e2e-roll");

    /// <summary>
    /// The project with api serving <paramref name="mode"/>, its health check testing <paramref name="check"/>.
    /// </summary>
    private Task WriteAsync(string mode, string check = "wget -q -O /dev/null http://127.0.0.1:8080/") =>
        File.WriteAllTextAsync(
            ComposeFile,
            $$"""
            name: e2e-roll
            services:
              db:
                image: {{_image}}
                command: ["sleep", "3600"]
              api:
                image: {{_image}}
                environment:
                  MODE: {{mode}}
                command: ["sh", "-c", "mkdir -p /www && echo $$MODE > /www/index.html && exec httpd -f -p 8080 -h /www"]
                healthcheck:
                  test: ["CMD-SHELL", "{{check}}"]
                  interval: 1s
                  retries: 1
            """
        );

    private Task<CliProcess.Result> Cli(params string[] args) => _cluster.CliAsync(args);

    private async Task<JsonNode> ReplicaAsync(string name)
    {
        var ps = JsonNode.Parse((await Cli("ps", "-p", "e2e-roll", "-o", "json")).Stdout)!;
        return ps["replicas"]!.AsArray().Single(r => (string)r!["name"]! == name)!;
    }

    private static async Task<string> GetAsync(JsonNode replica)
    {
        var address = replica["addresses"]!.AsObject().Single().Value!.GetValue<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return (await http.GetStringAsync($"http://{address}:8080/")).Trim();
    }

    [Fact]
    public async Task A_changed_service_rolls_new_before_old_and_a_failing_one_rolls_back_with_the_old_still_serving()
    {
        await WriteAsync("one");
        var up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", ComposeFile);
        Assert.True(up.ExitCode == 0, up.Stderr);
        var (db, api) = (await ReplicaAsync("db-1"), await ReplicaAsync("api-1"));
        Assert.Equal("one", await GetAsync(api));

        // Only api changed: db keeps its run; api's new replica is created and started before the old one stops.
        await WriteAsync("two");
        up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", ComposeFile);
        Assert.True(up.ExitCode == 0, up.Stderr);
        Assert.Equal((string)db["run_id"]!, (string)(await ReplicaAsync("db-1"))["run_id"]!);
        var rolled = await ReplicaAsync("api-1");
        Assert.NotEqual((string)api["run_id"]!, (string)rolled["run_id"]!);
        Assert.Equal("two", await GetAsync(rolled));

        var events = JsonNode.Parse((await Cli("events", "-p", "e2e-roll", "-o", "json")).Stdout)!["events"]!
            .AsArray()
            .Where(e => (string)e!["service"]! == "api")
            .ToList();
        long Seq(string kind, string text) =>
            (long)
                events.First(e =>
                    (string)e!["kind"]! == kind && ((string)e["message"]!).Contains(text, StringComparison.Ordinal)
                )!["seq"]!;
        var created = Seq("created", "new before old");
        var started = Seq("started", "the new definition");
        var healthy = Seq("healthy", "the new definition");
        var stopping = Seq("stopping", $"stopping generation 1 (run {(string)api["run_id"]!})");
        Assert.True(
            created < started && started < healthy && healthy < stopping,
            string.Join("\n", events.Select(e => e!.ToJsonString()))
        );
        Assert.DoesNotContain(
            JsonNode.Parse((await Cli("events", "-p", "e2e-roll", "-o", "json")).Stdout)!["events"]!.AsArray(),
            e => (string)e!["service"]! == "db" && (string)e["kind"]! == "stopping"
        );

        // A new definition whose health check fails: up --wait says so and fails, the new replica goes, the old
        // answers.
        await WriteAsync("three", check: "test -f /nonexistent");
        up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", ComposeFile);
        Assert.Equal(1, up.ExitCode);
        Assert.Contains(
            "rolling update of api halted at api-1: the new definition's replica failed: its health check failed",
            up.Stderr
        );
        var kept = await ReplicaAsync("api-1");
        Assert.Equal((string)rolled["run_id"]!, (string)kept["run_id"]!);
        Assert.Equal(("running", "healthy"), ((string)kept["state"]!, (string)kept["health"]!));
        Assert.Null(kept["next"]);
        Assert.Equal("two", await GetAsync(kept));
        var back = JsonNode.Parse((await Cli("events", "-p", "e2e-roll", "-o", "json")).Stdout)!["events"]!
            .AsArray()
            .Last(e => (string)e!["kind"]! == "rolled_back")!;
        Assert.Equal("api", (string)back["service"]!);
        Assert.Contains("rolled back, the old one keeps serving", (string)back["message"]!);
    }
}
