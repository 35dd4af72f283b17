using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Background;
using Hearth.Server.Workflows;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests;

/// <summary>The workflow reconciler is woken for the runs that changed, not by a timer.</summary>
public sealed class WorkflowReconcilerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_change_announced_for_a_run_moves_it_on_without_a_sweep_while_the_clock_stands_still()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(time: time);
        var reconciler = server.Server.Services.GetRequiredService<WorkflowReconciler>();
        await UntilAsync(() => Task.FromResult(reconciler.Sweeps >= 1), "the sweep at start");
        var admin = server.Client(server.AdminKey);
        var run = (
            await (
                await admin.PostAsJsonAsync(
                    "api/v1/workflows/runs",
                    new CreateWorkflowRunBody(Plan()),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
        )!;
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", new Dictionary<string, string> { ["machine"] = "test" }, 1, "test"),
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

        // Step 0 ends in the store without its run moving on, as when its server crashed between the two.
        await using (var connection = new SqliteConnection($"Data Source={server.StoreFile};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText =
                "UPDATE tasks SET state = 'Succeeded', exit_code = 0, ended_at = @now WHERE id = @id;";
            command.Parameters.AddWithValue("@now", time.GetUtcNow().ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("@id", lease.TaskId);
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
        }
        Assert.Equal(TaskState.Waiting, (await StepsAsync(admin, run.Id))["1"]);

        server.Server.Services.GetRequiredService<Signals>().Pulse(SignalKeys.Run(run.Id));

        await UntilAsync(async () => (await StepsAsync(admin, run.Id))["1"] == TaskState.Pending, "step 1 pending");
        Assert.Equal(1, reconciler.Sweeps);
    }

    [Fact]
    public async Task Stopping_ends_the_reconciler_quietly_while_it_waits_for_a_change()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(time: time);
        var reconciler = server.Server.Services.GetRequiredService<WorkflowReconciler>();
        await UntilAsync(() => Task.FromResult(reconciler.Sweeps >= 1), "the sweep at start");

        await reconciler.StopAsync(CancellationToken.None);

        // Canceled or faulted would be logged as the service's failure, and stop the host with it.
        Assert.Equal(TaskStatus.RanToCompletion, reconciler.ExecuteTask!.Status);
    }

    private static WorkflowPlan Plan() =>
        new()
        {
            Name = "two.kdl",
            Source = "two.kdl",
            Steps =
            [
                new PlanStep("0", PlanStepKind.Run, null, 0, "test", "echo 0", null, true, "two.kdl:1:1"),
                new PlanStep("1", PlanStepKind.Run, null, 1, "test", "echo 1", null, true, "two.kdl:2:1"),
            ],
        };

    private static async Task<Dictionary<string, TaskState?>> StepsAsync(HttpClient admin, string runId) =>
        (
            await admin.GetFromJsonAsync<WorkflowRunView>($"api/v1/workflows/runs/{runId}", HearthJson.Options)
        )!.Steps.ToDictionary(s => s.Id, s => s.State);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not within {Deadline}");
            await Task.Delay(20);
        }
    }
}
