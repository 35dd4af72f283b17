using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests;

/// <summary>
/// The short path of the agent protocol over real HTTP: a lease, then one result that carries the start and the lines.
/// </summary>
public sealed class AgentProtocolTests
{
    private const string Value = "sup3r-s3cret-Value!";

    [Fact]
    public async Task A_short_task_is_reported_in_one_result_with_its_start_and_its_masked_lines()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("token", Value, "TOKEN", null),
            HearthJson.Options
        );
        var run = (
            await (
                await admin.PostAsJsonAsync(
                    "api/v1/runs",
                    new CreateRunBody { Command = ["sh", "-c", "echo $TOKEN"], Secrets = ["token"] },
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;
        var (agent, lease) = await LeaseAsync(server);
        var startedAt = DateTimeOffset.UtcNow.AddMilliseconds(-30);

        var lines = new List<AgentLogLine> { new(DateTimeOffset.UtcNow, LogStream.Stdout, $"token is {Value}") };
        var done = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 0, false, null, startedAt, 0, lines),
            HearthJson.Options
        );

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var ended = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!;
        Assert.Equal((RunState.Succeeded, 0), (ended.Status, ended.ExitCode));
        Assert.NotNull(ended.StartedAt);
        Assert.InRange(ended.StartedAt!.Value, startedAt.AddMilliseconds(-1), startedAt.AddMilliseconds(1));
        var page = (await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs", HearthJson.Options))!;
        Assert.Equal(["token is ***"], page.Lines.Select(l => l.Text));

        var again = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 1, false, null, startedAt, 0, lines),
            HearthJson.Options
        );
        Assert.Equal("STALE_LEASE", await TestServer.CodeOf(again));
    }

    [Fact]
    public async Task A_folded_result_with_a_stale_epoch_is_refused_and_changes_nothing()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var run = (
            await (
                await admin.PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["true"] }, HearthJson.Options)
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;
        var (agent, lease) = await LeaseAsync(server);

        var lines = new List<AgentLogLine> { new(DateTimeOffset.UtcNow, LogStream.Stdout, "late") };
        var stale = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch - 1, 0, false, null, DateTimeOffset.UtcNow, 0, lines),
            HearthJson.Options
        );
        var staleRunning = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/running",
            new RunningBody(lease.Epoch - 1, DateTimeOffset.UtcNow),
            HearthJson.Options
        );

        Assert.Equal("STALE_LEASE", await TestServer.CodeOf(stale));
        Assert.Equal("STALE_LEASE", await TestServer.CodeOf(staleRunning));
        var unchanged = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!;
        Assert.Equal(RunState.Starting, unchanged.Status);
        Assert.Empty(
            (await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs", HearthJson.Options))!.Lines
        );
    }

    [Fact]
    public async Task A_start_reported_on_a_skewed_clock_is_bounded_by_the_lease_ttl()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var run = (
            await (
                await admin.PostAsJsonAsync(
                    "api/v1/runs",
                    new CreateRunBody { Command = ["sleep", "60"] },
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;
        var (agent, lease) = await LeaseAsync(server);

        var running = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/running",
            new RunningBody(lease.Epoch, DateTimeOffset.UtcNow.AddHours(-3)),
            HearthJson.Options
        );

        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
        var view = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!;
        Assert.Equal(RunState.Running, view.Status);
        Assert.True(
            DateTimeOffset.UtcNow - view.StartedAt!.Value < TimeSpan.FromSeconds(25),
            $"started_at {view.StartedAt}"
        );
    }

    [Fact]
    public async Task An_idle_poll_ends_empty_after_a_quarter_of_the_lease_ttl_so_a_frozen_agent_cannot_take_later_work()
    {
        await using var server = await TestServer.StartAsync(o => o with { LeaseTtl = TimeSpan.FromSeconds(2) });
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("frozen", [], 1, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var poll = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered.AgentId, 1, 20),
            HearthJson.Options
        );
        clock.Stop();
        var run = (
            await (
                await server
                    .Client(server.AdminKey)
                    .PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["true"] }, HearthJson.Options)
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;

        Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        Assert.Empty((await poll.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(5));
        var view = (
            await server.Client(server.AdminKey).GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options)
        )!;
        Assert.Equal(RunState.Starting, view.Status);
    }

    [Fact]
    public async Task A_result_asking_for_the_next_task_brings_back_the_oldest_waiting_one_with_its_secrets()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("token", Value, "TOKEN", null),
            HearthJson.Options
        );
        var first = await CreateRunAsync(admin, new CreateRunBody { Command = ["true"] });
        var second = await CreateRunAsync(
            admin,
            new CreateRunBody { Command = ["sh", "-c", "echo $TOKEN"], Secrets = ["token"] }
        );
        var (agent, agentId, lease) = await RegisterAndLeaseAsync(server);
        Assert.Equal(first.Id, lease.RunId);

        var answer = await CompleteAsync(agent, lease, new AgentRef(agentId));

        Assert.Equal(second.Id, answer.Next!.RunId);
        Assert.Equal(Value, answer.Next.SecretEnv["TOKEN"]);
        Assert.Equal(
            RunState.Succeeded,
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{first.Id}", HearthJson.Options))!.Status
        );
        var leased = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{second.Id}", HearthJson.Options))!;
        Assert.Equal((RunState.Starting, agentId, 1), (leased.Status, leased.AgentId, leased.Attempt));

        // Nothing waits now: the answer comes at once, without a lease and without a long-poll.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var last = await CompleteAsync(agent, answer.Next, new AgentRef(agentId));
        Assert.Null(last.Next);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        Assert.Equal(
            RunState.Succeeded,
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{second.Id}", HearthJson.Options))!.Status
        );
    }

    [Fact]
    public async Task A_draining_agent_gets_no_next_task_with_its_result()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await CreateRunAsync(admin, new CreateRunBody { Command = ["true"] });
        var waiting = await CreateRunAsync(admin, new CreateRunBody { Command = ["true"] });
        var (agent, agentId, lease) = await RegisterAndLeaseAsync(server);

        (
            await agent.PostAsJsonAsync("api/v1/agent/drain", new AgentRef(agentId), HearthJson.Options)
        ).EnsureSuccessStatusCode();
        var answer = await CompleteAsync(agent, lease, new AgentRef(agentId));

        Assert.Null(answer.Next);
        var untouched = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{waiting.Id}", HearthJson.Options))!;
        Assert.Equal((RunState.Starting, (string?)null), (untouched.Status, untouched.AgentId));
    }

    [Fact]
    public async Task Lines_past_the_next_offset_are_refused_with_log_gap_and_the_offset_to_send_from()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var run = await CreateRunAsync(admin, new CreateRunBody { Command = ["true"] });
        var (agent, lease) = await LeaseAsync(server);
        static AgentLogLine Line(string text) => new(DateTimeOffset.UtcNow, LogStream.Stdout, text);
        var logs = $"api/v1/agent/tasks/{lease.TaskId}/logs";
        var complete = $"api/v1/agent/tasks/{lease.TaskId}/complete";

        var first = await agent.PostAsJsonAsync(
            logs,
            new LogChunkBody(lease.Epoch, 0, [Line("a"), Line("b")]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(2, (await first.Content.ReadFromJsonAsync<LogChunkView>(HearthJson.Options))!.NextOffset);

        // A chunk and a result that would leave lines 2-4 missing: refused, with where to resume.
        var gap = await agent.PostAsJsonAsync(logs, new LogChunkBody(lease.Epoch, 5, [Line("f")]), HearthJson.Options);
        await AssertLogGapAsync(gap, 2);
        var gapResult = await agent.PostAsJsonAsync(
            complete,
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, 4, [Line("e")]),
            HearthJson.Options
        );
        await AssertLogGapAsync(gapResult, 2);
        Assert.Equal(
            RunState.Starting,
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!.Status
        );

        var resent = await agent.PostAsJsonAsync(
            complete,
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, 2, [Line("c")]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        var page = (await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs", HearthJson.Options))!;
        Assert.Equal(["a", "b", "c"], page.Lines.Select(l => l.Text));
        Assert.Equal(
            RunState.Succeeded,
            (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!.Status
        );
    }

    [Fact]
    public async Task A_log_page_holds_at_most_the_lines_asked_for_and_a_limit_out_of_range_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var run = await CreateRunAsync(admin, new CreateRunBody { Command = ["true"] });
        var (agent, lease) = await LeaseAsync(server);
        var lines = Enumerable
            .Range(0, 5)
            .Select(i => new AgentLogLine(DateTimeOffset.UtcNow, LogStream.Stdout, $"l{i}"))
            .ToList();
        (
            await agent.PostAsJsonAsync(
                $"api/v1/agent/tasks/{lease.TaskId}/logs",
                new LogChunkBody(lease.Epoch, 0, lines),
                HearthJson.Options
            )
        ).EnsureSuccessStatusCode();

        var page = (
            await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs?from=1&limit=2", HearthJson.Options)
        )!;
        Assert.Equal(["l1", "l2"], page.Lines.Select(l => l.Text));
        Assert.Equal(3L, page.Next);

        foreach (var limit in new[] { "0", "10001" })
        {
            var refused = await admin.GetAsync($"api/v1/runs/{run.Id}/logs?limit={limit}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var error = (await refused.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!;
            Assert.Equal(("INVALID_REQUEST", "limit: must be between 1 and 10000 lines"), (error.Code, error.Error));
        }
    }

    private static async Task AssertLogGapAsync(HttpResponseMessage response, long expected)
    {
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("LOG_GAP", error.GetProperty("code").GetString());
        Assert.Equal($"expected lines from offset {expected}", error.GetProperty("error").GetString());
        Assert.Equal(expected, error.GetProperty("details").GetProperty("next_offset").GetInt64());
    }

    private static async Task<RunView> CreateRunAsync(HttpClient admin, CreateRunBody body)
    {
        var response = await admin.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
    }

    private static async Task<CompleteView> CompleteAsync(HttpClient agent, Assignment lease, AgentRef next)
    {
        var response = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, Next: next),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CompleteView>(HearthJson.Options))!;
    }

    private static async Task<(HttpClient Agent, string AgentId, Assignment Lease)> RegisterAndLeaseAsync(
        TestServer server
    )
    {
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", [], 1, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var response = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered.AgentId, 1, 5),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (
            agent,
            registered.AgentId,
            (await response.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments.Single()
        );
    }

    private static async Task<(HttpClient Agent, Assignment Lease)> LeaseAsync(TestServer server)
    {
        var agent = server.Client(server.AgentToken);
        var registered = await (
            await agent.PostAsJsonAsync(
                "api/v1/agent/register",
                new RegisterAgentBody("a1", [], 1, "test"),
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options);
        var response = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered!.AgentId, 1, 5),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (
            agent,
            (await response.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments.Single()
        );
    }
}
