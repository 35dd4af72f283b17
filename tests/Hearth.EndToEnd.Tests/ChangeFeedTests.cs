using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Two `hearth server` processes on one PostgreSQL database: what happens through one is pushed to the other's waiters
/// (log followers, agents' long-polls) through the change feed, not found by a later re-check.
/// </summary>
public sealed class ChangeFeedTests(ITestOutputHelper output)
{
    /// <summary>
    /// A follower re-checks every 5 s without a push; a line pushed across servers arrives well inside half that.
    /// </summary>
    private static readonly TimeSpan PushedWithin = TimeSpan.FromSeconds(2.5);

    [Fact]
    public async Task A_run_created_on_one_server_is_followed_live_from_the_other()
    {
        await using var cluster = await HearthCluster.StartAsync(store: StoreKind.Postgres);
        await cluster.AddServerAsync();
        await cluster.StartAgentAsync("on-0", server: 0);
        var gates = Enumerable
            .Range(0, 3)
            .Select(i => Path.Combine(cluster.DataDir, $"gate-{i}-{Guid.NewGuid():N}"))
            .ToList();
        var script =
            "echo first; "
            + string.Join("; ", gates.Select((g, i) => $"while [ ! -e {g} ]; do sleep 0.02; done; echo line-{i}"));

        var created = await cluster.CliOnAsync(0, "run", "-d", "--driver", "process", "--", "sh", "-c", script);
        Assert.Equal(0, created.ExitCode);
        var runId = created.Stdout.Trim();

        await using var follower = cluster.StartCliOn(1, "logs", "-f", runId);
        await follower.WaitForAsync(
            o => o.Contains("first\n"),
            TimeSpan.FromSeconds(30),
            "the first line through server 1"
        );
        // Three lines, each released by the test: a follower that only re-checked would miss the bound on most of them.
        for (var i = 0; i < gates.Count; i++)
        {
            var opened = Stopwatch.StartNew();
            await File.WriteAllTextAsync(gates[i], "");
            await follower.WaitForAsync(
                o => o.Contains($"line-{i}\n"),
                TimeSpan.FromSeconds(30),
                $"line {i} through server 1"
            );
            var latency = opened.Elapsed;
            output.WriteLine(
                $"gate {i} opened → line printed by a follower on the other server: {latency.TotalMilliseconds:F0} ms"
            );
            Assert.True(
                latency < PushedWithin,
                $"line {i} took {latency.TotalMilliseconds:F0} ms: re-checked, not pushed"
            );
        }
        Assert.Equal(0, await follower.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task An_agent_drained_through_one_server_gets_no_work_through_the_other()
    {
        await using var cluster = await HearthCluster.StartAsync(store: StoreKind.Postgres);
        await cluster.AddServerAsync();
        using var zero = AgentClient(cluster, 0);
        using var one = AgentClient(cluster, 1);

        var register = await zero.PostAsJsonAsync(
            "api/v1/agent/register",
            new
            {
                name = "raw",
                labels = new Dictionary<string, string> { ["raw"] = "yes" },
                capacity = 1,
                version = "test",
            }
        );
        Assert.Equal(HttpStatusCode.OK, register.StatusCode);
        var agentId = JsonDocument
            .Parse(await register.Content.ReadAsStringAsync())
            .RootElement.GetProperty("agent_id")
            .GetString()!;
        var drain = await zero.PostAsJsonAsync("api/v1/agent/drain", new { agent_id = agentId });
        Assert.Equal(HttpStatusCode.OK, drain.StatusCode);

        var created = await cluster.CliOnAsync(1, "run", "-d", "--labels", "raw=yes", "--", "true");
        Assert.Equal(0, created.ExitCode);
        var poll = await one.PostAsJsonAsync(
            "api/v1/agent/lease",
            new
            {
                agent_id = agentId,
                slots = 1,
                wait_seconds = 1,
            }
        );
        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Equal(
            0,
            JsonDocument
                .Parse(await poll.Content.ReadAsStringAsync())
                .RootElement.GetProperty("assignments")
                .GetArrayLength()
        );
        var status = await cluster.CliOnAsync(0, "status", created.Stdout.Trim(), "-o", "json");
        Assert.Equal("STARTING", JsonDocument.Parse(status.Stdout).RootElement.GetProperty("status").GetString());

        var unknown = await one.PostAsJsonAsync("api/v1/agent/drain", new { agent_id = "nosuchagent" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("\"NOT_FOUND\"", await unknown.Content.ReadAsStringAsync());
    }

    private static HttpClient AgentClient(HearthCluster cluster, int server)
    {
        var http = new HttpClient
        {
            BaseAddress = new Uri(cluster.Servers[server].Url + "/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.AgentToken);
        http.DefaultRequestHeaders.Add(
            Hearth.Core.Api.AgentProtocolVersion.Header,
            Hearth.Core.Api.AgentProtocolVersion.Current.ToString(System.Globalization.CultureInfo.InvariantCulture)
        );
        return http;
    }
}
