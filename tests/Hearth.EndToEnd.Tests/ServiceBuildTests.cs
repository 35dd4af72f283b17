using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A compose service with <c>build:</c> through <c>hearth up</c>: a real server and an agent running the oci and
/// buildah drivers (the cluster shared with the other compose classes, ServiceCluster); a Dockerfile FROM busybox in a
/// loopback registry is built on the agent, pushed there (the registry named by the file's x-hearth.registry) and run
/// as the service's replica; the same context is not built again.
/// </summary>
[Collection(ServiceClusterCollection.Name)]
public sealed class ServiceBuildTests(ServiceCluster services) : IAsyncLifetime
{
    private readonly LocalRegistry _registry = services.Registry;
    private readonly HearthCluster _cluster = services.Cluster;
    private string _work = null!;

    public async Task InitializeAsync()
    {
        _work = services.DirectoryFor("build");
        Directory.CreateDirectory(Path.Combine(_work, "web"));
        await File.WriteAllTextAsync(
            Path.Combine(_work, "web", "Dockerfile"),
            $"""
            FROM {_registry.Host}/e2e/busybox:1
            COPY message.txt /message.txt
            RUN cp /message.txt /built.txt
            CMD ["sh", "-c", "cat /built.txt; exec sleep 3600"]
            """
        );
        await File.WriteAllTextAsync(Path.Combine(_work, "web", "message.txt"), "built by hearth\n");
        await File.WriteAllTextAsync(
            Path.Combine(_work, "compose.yaml"),
            $$"""
            name: e2e-build
            x-hearth:
              registry: {{_registry.Host}}
            services:
              web:
                build: ./web
                healthcheck:
                  test: ["CMD", "test", "-f", "/built.txt"]
                  interval: 1s
                  start_interval: 1s
            """
        );
    }

    // The test brings the project down; this is for a test that failed before it.
    public async Task DisposeAsync() => await _cluster.CliAsync("down", "-p", "e2e-build");

    private Task<CliProcess.Result> Cli(params string[] args) => _cluster.CliAsync(args);

    [Fact]
    public async Task Up_builds_the_image_on_the_agent_runs_it_and_does_not_build_an_unchanged_context_again()
    {
        var file = Path.Combine(_work, "compose.yaml");
        var up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", file);
        Assert.True(up.ExitCode == 0, up.Stderr);
        Assert.Contains("build web | ", up.Stderr);
        Assert.Contains("1/1 replica(s) ready", up.Stderr);

        var view = JsonNode.Parse((await Cli("inspect", "-p", "e2e-build", "web")).Stdout)!;
        var image = (string)view["spec"]!["services"]![0]!["image"]!;
        Assert.Matches(
            $"^{System.Text.RegularExpressions.Regex.Escape(_registry.Host)}/e2e-build/web:c[0-9a-f]{{32}}$",
            image
        );
        var replica = view["replicas"]![0]!;
        Assert.Equal("healthy", (string)replica["health"]!);
        var logs = await Cli("logs", (string)replica["run_id"]!);
        Assert.Contains("built by hearth", logs.Stdout);

        // Same files, same tag: the build run finds the image at the registry and builds nothing.
        var again = await Cli("up", "-d", "-f", file);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("not built again", again.Stderr);
        Assert.DoesNotContain("STEP 1/", again.Stderr);

        var down = await Cli("down", "-p", "e2e-build");
        Assert.True(down.ExitCode == 0, down.Stderr);
    }
}
