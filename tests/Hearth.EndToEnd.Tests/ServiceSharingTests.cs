using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// `hearth up` of a project whose services share namespaces and hold a fixed address, end to end: a real server and
/// agent, the oci driver, busybox from a loopback registry. dns has a fixed address on a network with a declared subnet
/// and a shm_size; side runs in dns's network and IPC namespaces and has its /dev/shm; probe reaches dns at its fixed
/// address and by name.
/// </summary>
public sealed class ServiceSharingTests : IAsyncLifetime
{
    private LocalRegistry _registry = null!;
    private HearthCluster _cluster = null!;
    private string _work = null!;

    public async Task InitializeAsync()
    {
        _registry = await LocalRegistry.StartAsync();
        _work = Tools.TempDirectory("hearth-e2e-sharing");
        using (var pusher = new ImagePusher(_registry.BaseUri))
            await pusher.PushImageAsync(
                "e2e/busybox",
                "1",
                [TarBuilder.Busybox().Build()],
                new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") }
            );
        _cluster = await HearthCluster.StartAsync();
        await _cluster.StartAgentAsync(capacity: 8);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _registry.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private Task<CliProcess.Result> Cli(params string[] args) => _cluster.CliAsync(args);

    private async Task<string> Exec(string service, params string[] command)
    {
        var result = await Cli(["exec", "-p", "e2e-share", service, "--", .. command]);
        Assert.True(result.ExitCode == 0, $"{service}: {string.Join(' ', command)}: {result.Stderr}");
        return result.Stdout.Trim();
    }

    [Fact]
    public async Task A_service_on_anothers_network_shares_its_interfaces_loopback_and_ipc_and_a_fixed_address_is_reached()
    {
        var prefix = $"172.{Random.Shared.Next(16, 32)}.{Random.Shared.Next(0, 256)}";
        var image = $"{_registry.Host}/e2e/busybox:1";
        var file = Path.Combine(_work, "compose.yaml");
        await File.WriteAllTextAsync(
            file,
            $$"""
            name: e2e-share
            services:
              dns:
                image: {{image}}
                command: ["sh", "-c", "mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www"]
                networks: { fixed: { ipv4_address: {{prefix}}.7 } }
                shm_size: 16m
              side:
                image: {{image}}
                command: ["sleep", "3600"]
                network_mode: "service:dns"
                ipc: "service:dns"
              probe:
                image: {{image}}
                command: ["sleep", "3600"]
                networks: [ fixed ]
                depends_on: [ dns ]
            networks:
              fixed: { ipam: { config: [ { subnet: {{prefix}}.0/24 } ] } }
            """
        );
        var up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", file);
        Assert.True(up.ExitCode == 0, up.Stderr);

        // side is dns's network: its only address is dns's fixed one, it reaches dns's server on loopback, and it has
        // dns's network and IPC namespaces and host name.
        Assert.Contains($"inet {prefix}.7/24", await Exec("side", "busybox", "ip", "-4", "-o", "addr"));
        Assert.Equal("hello", await Exec("side", "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"));
        Assert.Equal(
            await Exec("dns", "busybox", "readlink", "/proc/self/ns/net"),
            await Exec("side", "busybox", "readlink", "/proc/self/ns/net")
        );
        Assert.Equal(
            await Exec("dns", "busybox", "readlink", "/proc/self/ns/ipc"),
            await Exec("side", "busybox", "readlink", "/proc/self/ns/ipc")
        );
        Assert.Equal("dns-1", await Exec("side", "busybox", "hostname"));
        // and dns's /dev/shm (POSIX shared memory), of dns's shm_size; probe has its own, of the default size.
        const string shm = "ls -A /dev/shm | busybox wc -l; busybox df -k /dev/shm | busybox awk 'NR==2{print $2}'";
        await Exec("dns", "sh", "-c", "echo from-dns > /dev/shm/segment");
        Assert.Equal("from-dns", await Exec("side", "cat", "/dev/shm/segment"));
        Assert.Equal("1\n16384", await Exec("side", "sh", "-c", shm));
        Assert.Equal("0\n65536", await Exec("probe", "sh", "-c", shm));

        // probe, on the same network, reaches dns at its fixed address and by name (which answers that address).
        Assert.Equal("hello", await Exec("probe", "busybox", "wget", "-q", "-O", "-", $"http://{prefix}.7:8080/"));
        Assert.Equal("hello", await Exec("probe", "busybox", "wget", "-q", "-O", "-", "http://dns:8080/"));

        var replicas = JsonNode.Parse((await Cli("ps", "-p", "e2e-share", "-o", "json")).Stdout)![
            "replicas"
        ]!.AsArray();
        Assert.Equal(["dns-1", "probe-1", "side-1"], replicas.Select(r => (string)r!["name"]!).Order());
        Assert.Single(replicas.Select(r => (string?)r!["agent"]).Distinct());

        var down = await Cli("down", "-p", "e2e-share");
        Assert.True(down.ExitCode == 0, down.Stderr);
    }
}
