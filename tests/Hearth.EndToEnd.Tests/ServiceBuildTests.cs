using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A compose service with <c>build:</c> through <c>hearth up</c>: a real server and an agent running the oci and buildah
/// drivers; a Dockerfile FROM busybox in a loopback registry is built on the agent, pushed there (the registry named by
/// the file's x-hearth.registry) and run as the service's replica; the same context is not built again.
/// </summary>
public sealed class ServiceBuildTests : IAsyncLifetime
{
    private LocalRegistry _registry = null!;
    private HearthCluster _cluster = null!;
    private string _work = null!;

    public async Task InitializeAsync()
    {
        _registry = await LocalRegistry.StartAsync();
        _work = Tools.TempDirectory("hearth-e2e-build");
        using (var pusher = new ImagePusher(_registry.BaseUri))
            await pusher.PushImageAsync("e2e/busybox", "1", [TarBuilder.Busybox().Build()], new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") });
        Directory.CreateDirectory(Path.Combine(_work, "web"));
        await File.WriteAllTextAsync(Path.Combine(_work, "web", "Dockerfile"), $"""
            FROM {_registry.Host}/e2e/busybox:1
            COPY message.txt /message.txt
            RUN cp /message.txt /built.txt
            CMD ["sh", "-c", "cat /built.txt; exec sleep 3600"]
            """);
        await File.WriteAllTextAsync(Path.Combine(_work, "web", "message.txt"), "built by hearth\n");
        await File.WriteAllTextAsync(Path.Combine(_work, "compose.yaml"), $$"""
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
            """);
        _cluster = await HearthCluster.StartAsync();
        await _cluster.StartAgentAsync(capacity: 4, drivers: "oci,buildah");
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _registry.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

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
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(_registry.Host)}/e2e-build/web:c[0-9a-f]{{32}}$", image);
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
