using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests;

/// <summary>
/// Each attempt's startup breakdown: queued → leased → sandbox started → first output → exited → result stored.
/// </summary>
public sealed class StartupBreakdownTests
{
    [Fact]
    public async Task A_run_shows_each_step_of_its_attempt_as_it_happens_and_a_retry_starts_a_new_breakdown()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var created = await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody
            {
                Command = ["sh", "-c", "echo hi; exit 3"],
                Retry = new RetryBody { MaxAttempts = 2, ExitCodes = [3] },
            },
            HearthJson.Options
        );
        var run = (await created.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
        Assert.Equal(
            (1, run.CreatedAt, (DateTimeOffset?)null),
            (run.Startup!.Attempt, run.Startup.QueuedAt!.Value, run.Startup.LeasedAt)
        );

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
        var lease = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(registered.AgentId, 1, 5),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();
        var leased = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!.Startup!;
        Assert.NotNull(leased.LeasedAt);
        Assert.Null(leased.SandboxStartedAt);

        var started = DateTimeOffset.UtcNow;
        var firstOutput = started.AddMilliseconds(20);
        var exited = started.AddMilliseconds(50);
        var lines = new List<AgentLogLine> { new(firstOutput, LogStream.Stdout, "hi") };
        var done = await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 3, false, null, started, 0, lines)
            {
                FirstOutputAt = firstOutput,
                ExitedAt = exited,
            },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        // Exit 3 is retried: the second attempt is queued when the first ended, and has not been leased yet.
        var retried = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!;
        Assert.Equal(2, retried.Startup!.Attempt);
        Assert.Equal(retried.Attempts.Single().EndedAt, retried.Startup.QueuedAt);
        Assert.Equal(
            (null, null, null, null, null),
            (
                retried.Startup.LeasedAt,
                retried.Startup.SandboxStartedAt,
                retried.Startup.FirstOutputAt,
                retried.Startup.ExitedAt,
                retried.Startup.ResultStoredAt
            )
        );

        var second = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(registered.AgentId, 1, 5),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();
        var again = DateTimeOffset.UtcNow;
        await agent.PostAsJsonAsync(
            $"api/v1/agent/tasks/{second.TaskId}/complete",
            new CompleteBody(second.Epoch, 0, false, null, again, 0, lines)
            {
                FirstOutputAt = again.AddMilliseconds(5),
                ExitedAt = again.AddMilliseconds(9),
            },
            HearthJson.Options
        );

        var ended = (await admin.GetFromJsonAsync<RunView>($"api/v1/runs/{run.Id}", HearthJson.Options))!;
        var s = ended.Startup!;
        Assert.Equal((RunState.Succeeded, 2), (ended.Status, s.Attempt));
        DateTimeOffset[] steps =
        [
            s.QueuedAt!.Value,
            s.LeasedAt!.Value,
            s.SandboxStartedAt!.Value,
            s.FirstOutputAt!.Value,
            s.ExitedAt!.Value,
            s.ResultStoredAt!.Value,
        ];
        Assert.Equal(steps.Order(), steps);
        // The agent's clock is bounded by the server's: times it reports from the future are taken as the time they
        // arrived.
        Assert.InRange(s.ExitedAt.Value, again, s.ResultStoredAt.Value);
        var json = await admin.GetStringAsync($"api/v1/runs/{run.Id}");
        Assert.Contains("\"startup\":{\"attempt\":2,\"queued_at\":", json);
        Assert.Contains("\"sandbox_started_at\":", json);
        Assert.Contains("\"result_stored_at\":", json);
    }
}
