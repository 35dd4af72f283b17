using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests.Agents;

/// <summary>
/// The agent protocol over real HTTP: several assignments in one exchange, and the version every call names.
/// </summary>
public sealed class MultiLeaseTests
{
    private static async Task<(HttpClient Agent, string Id)> RegisterAsync(TestServer server, int capacity)
    {
        var agent = server.Client(server.AgentToken);
        var response = await agent.PostAsJsonAsync(
            "api/v1/agent/register",
            new RegisterAgentBody("multi", [], capacity, "test"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (agent, (await response.Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options))!.AgentId);
    }

    private static async Task<IReadOnlyList<Assignment>> LeaseAsync(
        HttpClient agent,
        string agentId,
        int slots,
        double wait = 5
    )
    {
        var response = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(agentId, slots, wait),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments;
    }

    [Fact]
    public async Task An_agent_with_capacity_n_gets_n_queued_tasks_in_one_exchange_oldest_first()
    {
        await using var server = await TestServer.StartAsync();
        var runs = new List<RunView>();
        for (var i = 0; i < 4; i++)
            runs.Add(await Granted.CreateRunAsync(server, new CreateRunBody { Command = ["echo", $"{i}"] }));
        var (agent, id) = await RegisterAsync(server, 4);

        var assignments = await LeaseAsync(agent, id, 4);

        Assert.Equal(runs.Select(r => r.Id), assignments.Select(a => a.RunId));
        Assert.Equal(["0", "1", "2", "3"], assignments.Select(a => a.Command[1]));
        foreach (var run in runs)
            Assert.Equal(id, (await Granted.RunAsync(server, run.Id)).AgentId);
    }

    [Fact]
    public async Task One_exchange_never_takes_more_than_the_slots_asked_for_nor_the_agents_capacity()
    {
        await using var server = await TestServer.StartAsync();
        for (var i = 0; i < 5; i++)
            await Granted.CreateRunAsync(server, new CreateRunBody { Command = ["true"] });
        var (agent, id) = await RegisterAsync(server, 2);

        var asked = await LeaseAsync(agent, id, 1);
        var capped = await LeaseAsync(agent, id, 5);

        Assert.Single(asked);
        Assert.Equal(2, capped.Count);
        var list = (
            await server
                .Client(server.AdminKey)
                .GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options)
        )!;
        Assert.Equal(3, list.Runs.Count(r => r.AgentId == id));
        Assert.Equal(2, list.Runs.Count(r => r.AgentId is null));
    }

    [Fact]
    public async Task A_task_whose_assignment_fails_is_left_out_and_failed_while_the_others_of_the_exchange_are_handed_out()
    {
        await using var server = await TestServer.StartAsync();
        await Granted.CreateSecretAsync(server, "gone", "v4lue", "GONE");
        var first = await Granted.CreateRunAsync(server, new CreateRunBody { Command = ["true"] });
        var doomed = await Granted.CreateRunAsync(server, new CreateRunBody { Command = ["true"], Secrets = ["gone"] });
        var third = await Granted.CreateRunAsync(server, new CreateRunBody { Command = ["true"] });
        await server.Client(server.AdminKey).DeleteAsync("api/v1/secrets/gone");
        var (agent, id) = await RegisterAsync(server, 3);

        var assignments = await LeaseAsync(agent, id, 3);

        Assert.Equal([first.Id, third.Id], assignments.Select(a => a.RunId));
        var failed = await Granted.RunAsync(server, doomed.Id);
        Assert.Equal(
            (RunState.Failed, "assignment step 'secrets' failed: secret 'gone' no longer exists"),
            (failed.Status, failed.Reason)
        );
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public async Task Slots_out_of_range_are_refused(int slots)
    {
        await using var server = await TestServer.StartAsync();
        var (agent, id) = await RegisterAsync(server, 1);

        var response = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(id, slots, 0),
            HearthJson.Options
        );

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!;
        Assert.Equal(("INVALID_REQUEST", "slots: must be between 1 and 1024"), (error.Code, error.Error));
    }

    [Theory]
    [InlineData(null, "sent no protocol version (it speaks protocol 1)")]
    [InlineData("1", "speaks agent protocol '1'")]
    [InlineData("2", "speaks agent protocol '2'")]
    [InlineData("3", "speaks agent protocol '3'")]
    [InlineData("4", "speaks agent protocol '4'")]
    [InlineData("5", "speaks agent protocol '5'")]
    [InlineData("7", "speaks agent protocol '7'")]
    [InlineData("two", "speaks agent protocol 'two'")]
    public async Task An_agent_speaking_another_protocol_version_gets_a_clear_error_on_every_call(
        string? version,
        string said
    )
    {
        await using var server = await TestServer.StartAsync();
        using var old = new HttpClient { BaseAddress = server.Url };
        old.DefaultRequestHeaders.Add("X-API-Key", server.AgentToken);
        if (version is not null)
            old.DefaultRequestHeaders.Add(AgentProtocolVersion.Header, version);
        // What an agent of protocol 1 sent: a lease request without slots.
        var calls = new (string Path, object Body)[]
        {
            ("api/v1/agent/register", new RegisterAgentBody("old", [], 1, "0.1")),
            ("api/v1/agent/lease", new System.Text.Json.Nodes.JsonObject { ["agent_id"] = "x", ["wait_seconds"] = 1 }),
            ("api/v1/agent/tasks/sometask-1/heartbeat", new HeartbeatBody(1, 0)),
        };

        foreach (var (path, body) in calls)
        {
            var response = await old.PostAsync(
                path,
                JsonContent.Create(body, body.GetType(), options: HearthJson.Options)
            );
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(AgentProtocolVersion.UnsupportedCode, error.GetProperty("code").GetString());
            Assert.Equal(
                $"this agent {said}, but this server (hearth {Api.HealthEndpoints.Version}) speaks agent protocol {AgentProtocolVersion.Current} only: "
                    + "upgrade the agent to the server's release",
                error.GetProperty("error").GetString()
            );
            Assert.Equal(
                [AgentProtocolVersion.Current],
                error.GetProperty("details").GetProperty("supported").EnumerateArray().Select(v => v.GetInt32())
            );
        }
        var agents = (
            await server.Client(server.AdminKey).GetFromJsonAsync<AgentListView>("api/v1/agents", HearthJson.Options)
        )!;
        Assert.Empty(agents.Agents);
    }
}
