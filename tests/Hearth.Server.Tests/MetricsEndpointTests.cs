using System.Net;
using System.Net.Sockets;
using Hearth.Server.Auth;

namespace Hearth.Server.Tests;

/// <summary>
/// Who reaches /metrics: anyone by default, only the metrics token's holder with one, only its own listener with one.
/// </summary>
public sealed class MetricsEndpointTests
{
    private const string Token = "metrics-token-0123456789abcdef";

    [Fact]
    public async Task With_a_token_every_role_key_and_the_agent_token_are_refused_and_only_the_token_is_served()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Telemetry = o.Telemetry with { MetricsToken = Token },
                Access = o.Access with { AuthFailuresPerMinute = 1000 },
            }
        );
        var keys = new List<string> { server.AdminKey, server.AgentToken };
        foreach (var role in (string[])[Roles.Operator, Roles.Developer, Roles.Viewer])
            keys.Add(await server.KeyForAsync($"{role}@example.com", role));
        foreach (var key in keys)
        {
            using var asKey = new HttpRequestMessage(HttpMethod.Get, "/metrics")
            {
                Headers = { { "Authorization", $"Bearer {key}" } },
            };
            Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().SendAsync(asKey)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/metrics")).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/metrics")
        {
            Headers = { { "Authorization", $"Bearer {Token}" } },
        };
        var answered = await server.Client().SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Contains("hearth_agents{", await answered.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_its_own_listener_metrics_leave_the_api_port_and_the_listener_serves_nothing_else()
    {
        var port = FreePort();
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Telemetry = o.Telemetry with { MetricsListen = $"127.0.0.1:{port}" },
            }
        );
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client().GetAsync("/metrics")).StatusCode);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var scraped = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains(
            "# TYPE hearth_agents gauge",
            await scraped.Content.ReadAsStringAsync(),
            StringComparison.Ordinal
        );
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Metrics_turned_off_are_not_served()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Telemetry = o.Telemetry with { MetricsEnabled = false },
            }
        );
        Assert.Equal(HttpStatusCode.NotFound, (await server.Client().GetAsync("/metrics")).StatusCode);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
