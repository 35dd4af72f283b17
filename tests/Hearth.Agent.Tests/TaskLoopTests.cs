using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Agent.Tests;

/// <summary>The task loop's phases and its clean-up, with a real server and real sandboxes.</summary>
public sealed class TaskLoopTests
{
    [Fact]
    public async Task The_sandbox_record_is_written_before_the_server_hears_the_task_runs_and_removed_at_clean_up()
    {
        await using var harness = await AgentHarness.StartAsync();
        harness.StartAgent();
        var run = await harness.CreateRunAsync(
            new CreateRunBody { Command = ["sh", "-c", "echo hi; sleep 2"], Driver = "bubblewrap" }
        );

        await AgentHarness.UntilAsync(
            async () => (await harness.GetRunAsync(run.Id)).Status != RunState.Starting,
            "the run starts"
        );
        var running = await harness.GetRunAsync(run.Id);
        var records = harness.Journal.Load().Records;

        Assert.Equal(RunState.Running, running.Status);
        var record = Assert.Single(records);
        Assert.Equal((run.Id, "bubblewrap", 1), (record.RunId, record.Handle.Driver, record.Attempt));
        Assert.True(Directory.Exists(harness.Journal.StateDirectoryOf(record.Handle.SandboxId)));
        var ended = await harness.WaitEndedAsync(run.Id);
        Assert.Equal((RunState.Succeeded, 0), (ended.Status, ended.ExitCode));
        Assert.Equal(["hi"], await harness.LinesAsync(run.Id));
        await AgentHarness.UntilAsync(
            () => Task.FromResult(harness.Journal.Load().Records.Count == 0),
            "the record is removed"
        );
        Assert.False(Directory.Exists(harness.Journal.StateDirectoryOf(record.Handle.SandboxId)));
    }

    [Fact]
    public async Task An_agent_shut_down_mid_task_still_runs_the_clean_up()
    {
        await using var harness = await AgentHarness.StartAsync();
        var shutdown = harness.StartAgent();
        var run = await harness.CreateRunAsync(
            new CreateRunBody { Command = ["sh", "-c", "echo ready; sleep 60"], Driver = "bubblewrap" }
        );
        await AgentHarness.UntilAsync(
            async () => (await harness.LinesAsync(run.Id)).Contains("ready"),
            "the task runs"
        );
        var sandboxId = Assert.Single(harness.Journal.Load().Records).Handle.SandboxId;

        await shutdown.CancelAsync();
        var ended = await harness.WaitEndedAsync(run.Id);

        Assert.Equal(RunState.Failed, ended.Status);
        await AgentHarness.UntilAsync(
            () => Task.FromResult(harness.Journal.Load().Records.Count == 0),
            "the record is removed"
        );
        Assert.False(Directory.Exists(harness.Journal.StateDirectoryOf(sandboxId)));
        Assert.False(Directory.Exists(Path.Combine(harness.ScratchRoot, sandboxId)));
    }

    [Fact]
    public async Task A_second_agent_on_a_held_state_directory_runs_on_a_private_one()
    {
        await using var harness = await AgentHarness.StartAsync();
        harness.StartAgent();
        await AgentHarness.UntilAsync(
            () => Task.FromResult(File.Exists(Path.Combine(harness.StateDirectory, "agent.lock"))),
            "the first agent"
        );
        // Its own scratch root (one agent owns a scratch root: the orphan reaper's), the same state directory.
        harness.StartAgent(
            harness.Options("second") with
            {
                Capacity = 1,
                ScratchRoot = harness.ScratchRoot + "-second",
            }
        );
        var runs = new List<RunView>();
        for (var i = 0; i < 4; i++)
            runs.Add(
                await harness.CreateRunAsync(
                    new CreateRunBody { Command = ["sh", "-c", $"exit {i}"], Driver = "bubblewrap" }
                )
            );

        foreach (var (run, i) in runs.Select((r, i) => (r, i)))
            Assert.Equal(i, (await harness.WaitEndedAsync(run.Id)).ExitCode);
    }
}
