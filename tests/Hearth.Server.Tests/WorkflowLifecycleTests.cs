using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests;

/// <summary>A workflow run over real HTTP, a step at a time, as agents of group "test" would run it.</summary>
public sealed class WorkflowLifecycleTests
{
    // 0; 1 parallel { 1.0; 1.1 }; 2 (condition false when skipTwo)
    private static WorkflowPlan Plan(bool skipTwo = false) =>
        new()
        {
            Name = "parallel.kdl",
            Source = "parallel.kdl",
            Steps =
            [
                new PlanStep("0", PlanStepKind.Run, null, 0, "test", "echo 0", null, true, "parallel.kdl:4:5"),
                new PlanStep("1", PlanStepKind.Parallel, null, 1, null, null, null, true, "parallel.kdl:5:5"),
                new PlanStep("1.0", PlanStepKind.Run, "1", 0, "test", "echo 1.0", null, true, "parallel.kdl:6:9"),
                new PlanStep("1.1", PlanStepKind.Run, "1", 1, "test", "echo 1.1", null, true, "parallel.kdl:7:9"),
                new PlanStep(
                    "2",
                    PlanStepKind.Run,
                    null,
                    2,
                    "test",
                    "echo 2",
                    skipTwo ? "$BRANCH == 'main'" : null,
                    !skipTwo,
                    "parallel.kdl:9:5"
                ),
            ],
        };

    private sealed record Agent(HttpClient Client, string Id);

    private static async Task<Agent> RegisterAsync(TestServer server, string name)
    {
        var client = server.Client(server.AgentToken);
        var registered = (
            await (
                await client.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody(name, new Dictionary<string, string> { ["machine"] = "test" }, 2, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        return new Agent(client, registered.AgentId);
    }

    private static async Task<Assignment> LeaseAsync(Agent agent) =>
        (
            await (
                await agent.Client.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(agent.Id, 1, 5),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();

    private static async Task CompleteAsync(Agent agent, Assignment lease, string line)
    {
        var lines = new List<AgentLogLine> { new(DateTimeOffset.UtcNow, LogStream.Stdout, line) };
        var done = await agent.Client.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow.AddMilliseconds(-5), 0, lines),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
    }

    private static async Task<RunView> StartAsync(HttpClient admin, WorkflowPlan plan) =>
        (
            await (
                await admin.PostAsJsonAsync(
                    "api/v1/workflows/runs",
                    new CreateWorkflowRunBody(plan),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;

    [Fact]
    public async Task A_group_s_log_is_its_steps_lines_and_its_row_has_a_start_and_an_end()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var run = await StartAsync(admin, Plan(skipTwo: true));
        var agent = await RegisterAsync(server, "a1");

        await CompleteAsync(agent, await LeaseAsync(agent), "zero");
        var first = await LeaseAsync(agent);
        var second = await LeaseAsync(agent);
        await CompleteAsync(agent, first, "one");
        await CompleteAsync(agent, second, "two");

        var group = (
            await admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{run.Id}/logs?step=1", HearthJson.Options)
        )!;
        Assert.Equal(["1.0", "1.1"], group.Lines.Select(l => l.Step).Order());
        Assert.Equal(["one", "two"], group.Lines.Select(l => l.Text).Order());
        var missing = await admin.GetAsync($"api/v1/runs/{run.Id}/logs?step=7");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var status = (
            await admin.GetFromJsonAsync<WorkflowRunView>($"api/v1/workflows/runs/{run.Id}", HearthJson.Options)
        )!;
        var steps = status.Steps.ToDictionary(s => s.Id);
        Assert.Equal(RunState.Succeeded, status.Run.Status);
        Assert.NotNull(steps["1"].StartedAt);
        Assert.Equal(new[] { steps["1.0"].EndedAt, steps["1.1"].EndedAt }.Max(), steps["1"].EndedAt);
        Assert.Equal(new[] { steps["1.0"].StartedAt, steps["1.1"].StartedAt }.Min(), steps["1"].StartedAt);
        // Skipped by its condition when its turn came: not before the steps that ran before it.
        Assert.Equal(TaskState.Skipped, steps["2"].State);
        Assert.True(
            steps["2"].EndedAt >= steps["1"].EndedAt,
            $"step 2 ended {steps["2"].EndedAt:O}, group 1 {steps["1"].EndedAt:O}"
        );
    }

    [Fact]
    public async Task A_killed_run_names_who_killed_it_which_steps_were_running_and_which_never_started()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var run = await StartAsync(admin, Plan());
        var agent = await RegisterAsync(server, "a1");
        await CompleteAsync(agent, await LeaseAsync(agent), "zero");

        var killed = await admin.PostAsync($"api/v1/runs/{run.Id}/kill", null);
        var view = (await killed.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;

        Assert.Equal(HttpStatusCode.Accepted, killed.StatusCode);
        Assert.Equal(RunState.Stopped, view.Status);
        Assert.Matches(@"^stopped by \S+; step 1\.0, 1\.1, 2 never started$", view.Reason);
        Assert.DoesNotContain("failed", view.Reason);
    }
}
