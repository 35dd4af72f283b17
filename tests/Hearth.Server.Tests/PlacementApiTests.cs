using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Placement;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests;

/// <summary>
/// Why a task waits, over the real API: on the run, in the run list, in the agents list; and failing what nothing can
/// take.
/// </summary>
public sealed class PlacementApiTests
{
    private static readonly Dictionary<string, string> Bubblewrap = new()
    {
        ["driver.bubblewrap"] = "true",
        ["group"] = "test",
    };

    [Fact]
    public async Task A_run_asking_for_a_driver_no_agent_runs_says_so_on_create_get_and_list()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await RegisterAsync(server, "dev-1", Bubblewrap, 2);

        var created = await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["true"], Driver = "process" },
            HearthJson.Options
        );
        var run = (await created.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;

        const string reason = "waiting: no live agent has driver process";
        Assert.Equal((HttpStatusCode.Created, reason), (created.StatusCode, run.Waiting));
        Assert.Equal(
            reason,
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!.Waiting
        );
        var listed = (await admin.GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options))!.Runs.Single(r =>
            r.Id == run.Id
        );
        Assert.Equal(reason, listed.Waiting);
    }

    [Fact]
    public async Task Agents_at_capacity_make_a_run_wait_as_busy_and_the_agents_list_shows_status_drivers_and_load()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var busy = await RegisterAsync(server, "busy", Bubblewrap, 1);
        var draining = await RegisterAsync(
            server,
            "leaving",
            new Dictionary<string, string> { ["driver.oci"] = "true" },
            3
        );
        var agent = server.Client(server.AgentToken);
        (
            await agent.PostAsJsonAsync("api/v1/agent/drain", new AgentRef(draining), HearthJson.Options)
        ).EnsureSuccessStatusCode();

        var first = await CreateAsync(
            admin,
            new CreateRunBody
            {
                Command = ["sleep", "60"],
                Requirements = new() { ["group"] = "test" },
            }
        );
        var lease = await agent.PostAsJsonAsync("api/v1/agent/lease", new LeaseRequest(busy, 1, 5), HearthJson.Options);
        Assert.Equal(
            first.Id,
            (await lease.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments.Single().RunId
        );
        var second = await CreateAsync(
            admin,
            new CreateRunBody
            {
                Command = ["true"],
                Requirements = new() { ["group"] = "test" },
            }
        );

        Assert.Null((await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{first.Id}", HearthJson.Options))!.Waiting);
        Assert.Equal(
            "waiting: the only agent with labels group=test is busy (1 of 1 slots taken)",
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{second.Id}", HearthJson.Options))!.Waiting
        );

        var agents = (await admin.GetFromJsonAsync<AgentListView>("api/v1/agents", HearthJson.Options))!.Agents;
        Assert.Equal(["busy", "leaving"], agents.Select(a => a.Name));
        Assert.Equal(
            (AgentStatus.Online, 1, 1, "bubblewrap"),
            (agents[0].Status, agents[0].Running, agents[0].Capacity, string.Join(',', agents[0].Drivers))
        );
        Assert.Equal(
            (AgentStatus.Draining, 0, 3, "oci"),
            (agents[1].Status, agents[1].Running, agents[1].Capacity, string.Join(',', agents[1].Drivers))
        );
        Assert.NotNull(agents[1].DrainingSince);
        var json = await admin.GetStringAsync("api/v1/agents");
        Assert.Contains("\"status\":\"DRAINING\"", json);
        Assert.Contains("\"last_seen_at\":", json);
    }

    [Fact]
    public async Task A_task_no_live_agent_matches_fails_after_the_configured_time_with_the_reason_and_a_busy_one_does_not()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                UnplaceableTimeout = TimeSpan.FromSeconds(1),
            }
        );
        var admin = server.Client(server.AdminKey);
        var agentId = await RegisterAsync(server, "dev-1", Bubblewrap, 1);
        var agent = server.Client(server.AgentToken);
        var holder = await CreateAsync(admin, new CreateRunBody { Command = ["sleep", "60"] });
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await agent.PostAsJsonAsync("api/v1/agent/lease", new LeaseRequest(agentId, 1, 5), HearthJson.Options)
            ).StatusCode
        );
        var waiting = await CreateAsync(admin, new CreateRunBody { Command = ["true"] });
        var doomed = await CreateAsync(admin, new CreateRunBody { Command = ["true"], Driver = "process" });

        var failed = await WaitForAsync(admin, doomed.Id, r => r.Status == RunState.Failed, TimeSpan.FromSeconds(15));

        Assert.Equal("no agent could take it for 1s: no live agent has driver process", failed.Reason);
        Assert.Null(failed.Waiting);
        var page = (await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{doomed.Id}/logs", HearthJson.Options))!;
        Assert.Equal(
            ["hearth: no agent could take it for 1s: no live agent has driver process"],
            page.Lines.Select(l => l.Text)
        );
        var stillWaiting = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{waiting.Id}", HearthJson.Options))!;
        Assert.Equal(
            (RunState.Starting, "waiting: the only agent is busy (1 of 1 slots taken)"),
            (stillWaiting.Status, stillWaiting.Waiting)
        );
        Assert.Equal(
            RunState.Starting,
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{holder.Id}", HearthJson.Options))!.Status
        );
    }

    private static async Task<string> RegisterAsync(
        TestServer server,
        string name,
        Dictionary<string, string> labels,
        int capacity
    )
    {
        var response = await server
            .Client(server.AgentToken)
            .PostAsJsonAsync(
                "api/v1/agent/register",
                new RegisterAgentBody(name, labels, capacity, "test"),
                HearthJson.Options
            );
        return (await response.Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options))!.AgentId;
    }

    private static async Task<RunView> CreateAsync(HttpClient client, CreateRunBody body)
    {
        var response = await client.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
    }

    private static async Task<RunView> WaitForAsync(
        HttpClient client,
        string id,
        Func<RunView, bool> done,
        TimeSpan timeout
    )
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = (await client.GetFromJsonAsync<RunView>($"api/v1/runs/{id}", HearthJson.Options))!;
            if (done(run))
                return run;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"run {id} is still {run.Status} ({run.Waiting})");
            await Task.Delay(100);
        }
    }
}
