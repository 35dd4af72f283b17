using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests;

/// <summary>
/// The bad-key throttle: counted per network and in total, so rotating the source address does not help, and never
/// in the way of a valid key or an agent's token (a run guessing keys must not knock its own agent off the server).
/// </summary>
public sealed class AuthThrottleTests
{
    [Fact]
    public async Task Guesses_rotated_over_loopback_addresses_are_throttled_while_keys_and_agents_get_through()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T10:00:00Z"));
        await using var server = await TestServer.StartAsync(
            o => o with { Access = o.Access with { AuthFailuresPerMinute = 20 } },
            time
        );
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 30; i++)
        {
            using var guesser = From(server, $"127.0.0.{11 + i % 5}", ApiKeys.NewUserKey());
            statuses.Add((await guesser.GetAsync("api/v1/runs")).StatusCode);
        }
        Assert.Equal(
            Enumerable
                .Repeat(HttpStatusCode.Unauthorized, 20)
                .Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 10)),
            statuses
        );

        using var admin = From(server, "127.0.0.12", server.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/v1/runs")).StatusCode);
        using var agent = From(server, "127.0.0.13", server.AgentToken);
        var registered = await agent.PostAsJsonAsync(
            "api/v1/agent/register",
            new RegisterAgentBody("a1", [], 1, "test"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);

        time.Advance(TimeSpan.FromSeconds(61));
        using var later = From(server, "127.0.0.14", ApiKeys.NewUserKey());
        Assert.Equal(HttpStatusCode.Unauthorized, (await later.GetAsync("api/v1/runs")).StatusCode);
    }

    [Fact]
    public void Failures_count_per_network_and_over_all_networks()
    {
        var time = new FakeTimeProvider();
        var options = new ServerOptions
        {
            Access = new AccessOptions { AuthFailuresPerMinute = 3, AuthFailuresPerMinuteTotal = 10 },
        };
        var throttle = new AuthFailureThrottle(options, time);

        foreach (var host in new[] { 1, 2, 3 })
            throttle.RecordFailure($"10.1.2.{host}");
        Assert.True(throttle.IsBlocked("10.1.2.200"));
        Assert.False(throttle.IsBlocked("10.1.3.1"));

        foreach (var net in Enumerable.Range(10, 7))
            throttle.RecordFailure($"10.9.{net}.1");
        Assert.True(throttle.IsBlocked("192.0.2.1"));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(throttle.IsBlocked("10.1.2.200"));
        Assert.False(throttle.IsBlocked("192.0.2.1"));
    }

    [Theory]
    [InlineData("127.0.0.11", "loopback")]
    [InlineData("127.9.9.9", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.2", "loopback")]
    [InlineData("192.0.2.77", "192.0.2.0/24")]
    [InlineData("::ffff:192.0.2.77", "192.0.2.0/24")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    public void An_address_counts_under_its_network(string address, string network) =>
        Assert.Equal(network, AuthFailureThrottle.NetworkOf(address));

    /// <summary>
    /// A client whose connections come from <paramref name="source"/> (any 127/8 address is this host's).
    /// </summary>
    private static HttpClient From(TestServer server, string source, string key)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = server.Url };
        client.DefaultRequestHeaders.Add("X-API-Key", key);
        client.DefaultRequestHeaders.Add(
            AgentProtocolVersion.Header,
            AgentProtocolVersion.Current.ToString(System.Globalization.CultureInfo.InvariantCulture)
        );
        return client;
    }
}
