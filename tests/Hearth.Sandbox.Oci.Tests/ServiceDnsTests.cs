using System.Net;
using System.Net.Sockets;
using Hearth.Agent;
using Hearth.Agent.Dns;
using Hearth.Agent.Services;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The agent's embedded DNS with real containers: replicas prepared by the agent's <see cref="ServiceRuntime"/> on a
/// named network resolve each other by service name, alias and host name, reach each other by name, and get other
/// names from the host's resolver (here, one the test runs on loopback). No server: the names are the agent's own.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class ServiceDnsTests(RegistryFixture registry, NetworkFixture network) : IClassFixture<NetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_replica_resolves_a_peer_by_service_name_alias_and_host_name_reaches_it_by_name_and_gets_outside_names_forwarded()
    {
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        upstream.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var answering = new CancellationTokenSource();
        var upstreamTask = AnswerUpstreamAsync(upstream, answering.Token);
        var state = registry.NewDirectory("hearth-agent-state");
        await using var runtime = new ServiceRuntime(
            new AgentApiClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:1/") }),
            state,
            TimeProvider.System,
            NullLogger.Instance,
            new ServiceRuntimeOptions { Upstreams = [(IPEndPoint)upstream.LocalEndPoint!] }
        );
        var driver = new OciDriver(
            new OciDriverOptions
            {
                Runtime = "runc",
                StateRoot = registry.NewDirectory("hearth-runc-state"),
                Network = network.Options,
            },
            registry.NewStore(),
            TimeProvider.System
        );
        var project = "p" + network.NewId()[^6..];

        var apiOutput = new CollectingOutput();
        var api = runtime.Prepare(
            Lease(project, "api", "api-host", ["backend"]),
            Spec(
                network.NewId(),
                [
                    "sh",
                    "-c",
                    "mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www",
                ]
            )
        );
        var gateway = "";
        await using (var apiSandbox = await driver.StartAsync(api.Spec, apiOutput, CancellationToken.None))
        {
            try
            {
                var apiAddress = api.Addresses!["back"];
                gateway = apiSandbox.Addresses.Single().Gateway;
                Assert.Contains(IPAddress.Parse(gateway), runtime.Dns.Gateways);

                var webOutput = new CollectingOutput();
                var web = runtime.Prepare(
                    Lease(project, "web", null, []),
                    Spec(
                        network.NewId(),
                        [
                            "sh",
                            "-c",
                            "cat /etc/resolv.conf; for n in api backend api-host api-1 nosuch outside.example; do echo \"== $n\"; busybox nslookup $n; done;"
                                + " echo '== wget'; busybox wget -q -O - http://api:8080/",
                        ]
                    )
                );
                await using (var webSandbox = await driver.StartAsync(web.Spec, webOutput, CancellationToken.None))
                {
                    var exit = await webSandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
                    var lines = webOutput.Stdout.Select(l => l.Trim()).ToList();
                    Assert.True(exit.ExitCode == 0, string.Join("\n", lines) + "\n" + webOutput.Stderr);
                    Assert.Equal($"nameserver {gateway}", lines[0]);
                    foreach (var name in new[] { "api", "backend", "api-host", "api-1" })
                        Assert.Contains($"Address: {apiAddress}", Section(lines, name));
                    Assert.DoesNotContain(Section(lines, "nosuch"), l =>
                        l.StartsWith("Address: 10.", StringComparison.Ordinal)
                    );
                    Assert.Contains("Address: 192.0.2.10", Section(lines, "outside.example"));
                    Assert.Equal(["api-host"], Section(lines, "wget"));
                }
                // As the agent's teardown does once a replica's sandbox is gone.
                await web.DisposeAsync();
                Assert.Equal(
                    ["api"],
                    runtime.Names.Lookup([ServiceRuntime.NetworkKey(project, "back")], "api").Select(_ => "api")
                );
                Assert.Empty(runtime.Names.Lookup([ServiceRuntime.NetworkKey(project, "back")], "web"));
            }
            finally
            {
                await api.DisposeAsync();
            }
        }
        Assert.Empty(runtime.Dns.Gateways);
        Assert.Empty(driver.NamedNetworks.List());
        await answering.CancelAsync();
        await upstreamTask;
    }

    private static List<string> Section(List<string> lines, string name) =>
        lines
            .SkipWhile(l => l != $"== {name}")
            .Skip(1)
            .TakeWhile(l => !l.StartsWith("== ", StringComparison.Ordinal))
            .ToList();

    /// <summary>The "host's resolver": answers outside.example with 192.0.2.10, anything else with NXDOMAIN.</summary>
    private static async Task AnswerUpstreamAsync(Socket socket, CancellationToken stop)
    {
        var buffer = new byte[512];
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult got;
            try
            {
                got = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var request = buffer.AsSpan(0, got.ReceivedBytes);
            if (DnsQuery.TryParse(request) is not { } query)
                continue;
            var known = query.Name.TrimEnd('.') == "outside.example" && query.Type == DnsQuery.TypeA;
            var reply = DnsAnswer.Build(
                request,
                query,
                known ? DnsAnswer.NoError : DnsAnswer.NameError,
                known ? [IPAddress.Parse("192.0.2.10")] : [],
                60
            );
            await socket.SendToAsync(reply, SocketFlags.None, got.RemoteEndPoint);
        }
    }

    private static Assignment Lease(string project, string service, string? hostname, IReadOnlyList<string> aliases) =>
        new(
            "t-" + service,
            "r",
            TaskKind.ServiceReplica,
            1,
            1,
            DateTimeOffset.UnixEpoch,
            [],
            new Dictionary<string, string>(),
            new SandboxRequest("oci", null, null, false, [], null, null, null)
        )
        {
            Service = new ServiceReplicaSpec
            {
                Project = project,
                Service = service,
                Replica = 1,
                DefinitionHash = "h",
                Hostname = hostname,
                Networks = [new ServiceNetworkAttachment("back", aliases)],
            },
        };

    private SandboxSpec Spec(string id, IReadOnlyList<string> command) =>
        new()
        {
            SandboxId = id,
            Image = registry.BusyboxRef,
            Command = command,
            ScratchRoot = Path.Combine(registry.NewDirectory("hearth-scratch"), "s"),
        };
}
