using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

public abstract partial class RunStoreConformance
{
    [Fact]
    public async Task A_created_run_is_read_back_with_its_tasks()
    {
        var spec = new TaskSpec
        {
            Command = ["sh", "-c", "echo hi"],
            Env = new Dictionary<string, string> { ["A"] = "1" },
            Timeout = TimeSpan.FromSeconds(90),
            Requirements = new Dictionary<string, string> { ["pool"] = "x" },
            Retry = new RetryPolicy
            {
                MaxAttempts = 3,
                ExitCodes = [2, 3],
                Backoff = RetryBackoff.Fibonacci,
                Delay = TimeSpan.FromSeconds(2),
            },
        };
        var created = await CreateRunAsync(spec, tasks: 2);

        var run = await GetAsync(created.Id);

        Assert.Equal(RunState.Starting, run.State);
        Assert.Equal("tester", run.CreatedBy);
        Assert.Equal(created.CreatedAt, run.CreatedAt);
        Assert.Equal(spec.Command, run.Spec.Command);
        Assert.Equal(
            spec.Retry with
            {
                ExitCodes = Array.Empty<int>(),
            },
            run.Spec.Retry! with
            {
                ExitCodes = Array.Empty<int>(),
            }
        );
        Assert.Equal([2, 3], run.Spec.Retry!.ExitCodes);
        Assert.Equal([$"{created.Id}-1", $"{created.Id}-2"], run.Tasks.Select(t => t.Id));
        Assert.All(run.Tasks, t =>
        {
            Assert.Equal(TaskState.Pending, t.State);
            Assert.Equal(1, t.Attempt);
            Assert.Equal(3, t.MaxAttempts);
            Assert.Equal(0, t.Epoch);
        });
        Assert.Null(await Store.GetRunAsync("missing", CancellationToken.None));
    }

    [Fact]
    public async Task Runs_are_listed_newest_first_filtered_by_state_and_limited()
    {
        var first = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var second = await CreateRunAsync();
        Advance(TimeSpan.FromSeconds(1));
        var third = await CreateRunAsync();
        await Store.RequestStopAsync(second.Id, StopReason.Killed, Time.GetUtcNow(), CancellationToken.None);

        var all = await Store.ListRunsAsync(new RunQuery(Limit: 0), CancellationToken.None);
        var limited = await Store.ListRunsAsync(new RunQuery(Limit: 2), CancellationToken.None);
        var stopped = await Store.ListRunsAsync(new RunQuery([RunState.Stopped]), CancellationToken.None);
        var live = await Store.ListRunsAsync(
            new RunQuery([RunState.Starting, RunState.Running]),
            CancellationToken.None
        );

        Assert.Equal([third.Id, second.Id, first.Id], all.Select(r => r.Id));
        Assert.Equal([third.Id, second.Id], limited.Select(r => r.Id));
        Assert.Equal([second.Id], stopped.Select(r => r.Id));
        Assert.Equal([third.Id, first.Id], live.Select(r => r.Id));
    }

    [Fact]
    public async Task Runs_are_filtered_by_kind_and_creator_and_paged_by_offset()
    {
        var mine = new List<Run>();
        for (var i = 0; i < 4; i++)
        {
            mine.Add(await CreateRunAsync(kind: "workflow", createdBy: "dev@example.com"));
            Advance(TimeSpan.FromSeconds(1));
        }
        var theirs = await CreateRunAsync(kind: "workflow", createdBy: "ops@example.com");
        Advance(TimeSpan.FromSeconds(1));
        var command = await CreateRunAsync(createdBy: "dev@example.com");

        var workflows = await Store.ListRunsAsync(new RunQuery(Limit: 0, Kind: "workflow"), CancellationToken.None);
        var devs = await Store.ListRunsAsync(
            new RunQuery(Limit: 0, CreatedBy: "dev@example.com"),
            CancellationToken.None
        );
        var page2 = await Store.ListRunsAsync(
            new RunQuery(Limit: 2, Kind: "workflow", CreatedBy: "dev@example.com", Offset: 2),
            CancellationToken.None
        );
        var pastEnd = await Store.ListRunsAsync(
            new RunQuery(Limit: 2, Kind: "workflow", Offset: 5),
            CancellationToken.None
        );

        Assert.Equal([theirs.Id, .. mine.Select(r => r.Id).Reverse()], workflows.Select(r => r.Id));
        Assert.Equal([command.Id, .. mine.Select(r => r.Id).Reverse()], devs.Select(r => r.Id));
        Assert.Equal([mine[1].Id, mine[0].Id], page2.Select(r => r.Id));
        Assert.Empty(pastEnd);
    }

    [Fact]
    public async Task Stopping_a_pending_run_ends_it_at_once_and_nothing_claims_it()
    {
        var run = await CreateRunAsync();

        var stopped = await Store.RequestStopAsync(run.Id, StopReason.Killed, Time.GetUtcNow(), CancellationToken.None);
        var again = await Store.RequestStopAsync(run.Id, StopReason.TimedOut, Time.GetUtcNow(), CancellationToken.None);

        Assert.Equal(RunState.Stopped, stopped!.State);
        Assert.Equal(TaskState.Stopped, stopped.Tasks.Single().State);
        Assert.Equal("killed before it started", stopped.Reason);
        Assert.Equal(RunState.Stopped, again!.State);
        Assert.Equal(StopReason.Killed, again.StopReason);
        Assert.Null(await ClaimAsync());
        Assert.Null(
            await Store.RequestStopAsync("missing", StopReason.Killed, Time.GetUtcNow(), CancellationToken.None)
        );
    }

    [Fact]
    public async Task Stopping_a_running_run_terminates_it_until_its_agent_reports()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        await RunningAsync(lease);

        var stopping = await Store.RequestStopAsync(
            run.Id,
            StopReason.Killed,
            Time.GetUtcNow(),
            CancellationToken.None
        );
        var beat = await Store.HeartbeatAsync(
            lease.TaskId,
            lease.Epoch,
            Time.GetUtcNow(),
            LeaseTtl,
            CancellationToken.None
        );
        var completed = await CompleteAsync(lease, 143);
        var ended = await GetAsync(run.Id);

        Assert.Equal(RunState.Terminating, stopping!.State);
        Assert.Equal(StopReason.Killed, beat.Stop);
        Assert.Equal(WriteStatus.Accepted, completed.Status);
        Assert.Equal(RunState.Stopped, ended.State);
        Assert.Equal(TaskState.Stopped, ended.Tasks.Single().State);
        Assert.Equal(143, ended.ExitCode);
    }

    [Fact]
    public async Task A_run_succeeds_when_its_task_exits_zero()
    {
        var run = await CreateRunAsync();
        var lease = (await ClaimAsync())!;
        Assert.Equal(WriteStatus.Accepted, (await RunningAsync(lease)).Status);
        Assert.Equal(RunState.Running, (await GetAsync(run.Id)).State);

        Assert.Equal(WriteStatus.Accepted, (await CompleteAsync(lease, 0)).Status);

        var ended = await GetAsync(run.Id);
        Assert.Equal(RunState.Succeeded, ended.State);
        Assert.Equal(0, ended.ExitCode);
        Assert.Empty(ended.Tasks.Single().History);
        Assert.Equal(WriteStatus.Stale, (await CompleteAsync(lease, 1)).Status);
    }

    [Fact]
    public async Task A_run_with_a_timeout_is_overdue_at_its_deadline_until_stopped()
    {
        var run = await CreateRunAsync(new TaskSpec { Command = ["sleep", "100"], Timeout = TimeSpan.FromSeconds(10) });
        await CreateRunAsync(new TaskSpec { Command = ["sleep", "100"] });
        var lease = (await ClaimAsync())!;
        var other = (await ClaimAsync())!;
        await RunningAsync(lease);
        await RunningAsync(other);

        Advance(TimeSpan.FromSeconds(9));
        var early = await Store.FindOverdueAsync(Time.GetUtcNow(), 10, CancellationToken.None);
        Advance(TimeSpan.FromSeconds(1));
        var due = await Store.FindOverdueAsync(Time.GetUtcNow(), 10, CancellationToken.None);
        await Store.RequestStopAsync(run.Id, StopReason.TimedOut, Time.GetUtcNow(), CancellationToken.None);
        var afterStop = await Store.FindOverdueAsync(Time.GetUtcNow(), 10, CancellationToken.None);
        await CompleteAsync(lease, 143);

        Assert.Empty(early);
        Assert.Equal([run.Id], due);
        Assert.Empty(afterStop);
        var ended = await GetAsync(run.Id);
        Assert.Equal(RunState.TimedOut, ended.State);
        Assert.Equal("timed out after 10s", ended.Reason);
    }

    [Fact]
    public async Task Registered_images_keep_their_defaults_and_one_default()
    {
        var now = Time.GetUtcNow();
        await Store.RegisterImageAsync(
            new RegisteredImage("reg/a:1", 1.5, 512L << 20, true, "admin", now),
            CancellationToken.None
        );
        await Store.RegisterImageAsync(
            new RegisteredImage("reg/b:1", null, null, true, "admin", now),
            CancellationToken.None
        );
        var images = await Store.ListRegisteredImagesAsync(CancellationToken.None);
        Assert.Equal(["reg/a:1", "reg/b:1"], images.Select(i => i.Reference));
        Assert.Equal(
            (1.5, 512L << 20, false),
            (images[0].Cpus!.Value, images[0].MemoryBytes!.Value, images[0].IsDefault)
        );
        Assert.True(images[1].IsDefault);
        Assert.True(await Store.UnregisterImageAsync("reg/a:1", CancellationToken.None));
        Assert.False(await Store.UnregisterImageAsync("reg/a:1", CancellationToken.None));
        Assert.Single(await Store.ListRegisteredImagesAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Agents_are_stored()
    {
        var labels = new Dictionary<string, string> { ["arch"] = "x86_64" };
        var agent = await Store.RegisterAgentAsync(
            new AgentRegistration("a1", labels, 4, "1.0"),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        Advance(TimeSpan.FromSeconds(5));
        await Store.TouchAgentAsync(agent.Id, Time.GetUtcNow(), CancellationToken.None);

        var listed = Assert.Single(await Store.ListAgentsAsync(CancellationToken.None));
        Assert.Equal("x86_64", listed.Labels["arch"]);
        Assert.Equal(Time.GetUtcNow(), listed.LastSeenAt);
        await Store.PingAsync(CancellationToken.None);
    }

    [Fact]
    public async Task An_agents_driver_capabilities_are_stored_with_it()
    {
        Hearth.Core.Api.AgentDriverView[] drivers =
        [
            new(
                "bubblewrap",
                "namespaces",
                ["none", "host"],
                Ports: false,
                Signals: true,
                Exec: true,
                Recover: true,
                ["cpu", "pids"],
                Default: true
            ),
            new(
                "oci",
                "image",
                ["none", "bridge"],
                Ports: true,
                Signals: true,
                Exec: true,
                Recover: false,
                ["cpu", "memory", "pids"]
            ),
        ];
        await Store.RegisterAgentAsync(
            new AgentRegistration("old", new Dictionary<string, string>(), 1, "0.9"),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        await Store.RegisterAgentAsync(
            new AgentRegistration("a2", new Dictionary<string, string>(), 2, "1.0", drivers),
            Time.GetUtcNow(),
            CancellationToken.None
        );

        var listed = await Store.ListAgentsAsync(CancellationToken.None);
        var stored = listed.Single(a => a.Name == "a2").DriverList;
        Assert.Equal(["bubblewrap", "oci"], stored.Select(d => d.Name));
        Assert.Equal(drivers[0].NetworkModes, stored[0].NetworkModes);
        Assert.Equal((true, false, "image"), (stored[1].Ports, stored[1].Recover, stored[1].Filesystem));
        Assert.True(stored[0].Default);
        Assert.Empty(listed.Single(a => a.Name == "old").DriverList);
    }

    [Fact]
    public async Task A_drained_agent_stays_drained_from_its_first_drain_and_an_unknown_one_is_not_drained()
    {
        var agent = await Store.RegisterAgentAsync(
            new AgentRegistration("a1", new Dictionary<string, string>(), 1, "1.0"),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        Assert.Null(Assert.Single(await Store.ListAgentsAsync(CancellationToken.None)).DrainingSince);

        var drainedAt = Time.GetUtcNow();
        Assert.True(await Store.DrainAgentAsync(agent.Id, drainedAt, CancellationToken.None));
        Advance(TimeSpan.FromSeconds(5));
        Assert.True(await Store.DrainAgentAsync(agent.Id, Time.GetUtcNow(), CancellationToken.None));

        Assert.Equal(drainedAt, Assert.Single(await Store.ListAgentsAsync(CancellationToken.None)).DrainingSince);
        Assert.False(await Store.DrainAgentAsync("no-such-agent", Time.GetUtcNow(), CancellationToken.None));
    }

    [Fact]
    public async Task Migrating_again_changes_nothing()
    {
        var run = await CreateRunAsync();
        await Store.MigrateAsync(CancellationToken.None);
        Assert.Equal(run.Id, (await GetAsync(run.Id)).Id);
    }
}
