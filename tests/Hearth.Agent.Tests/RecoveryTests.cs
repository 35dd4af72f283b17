using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Sandbox;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Agent.Tests;

/// <summary>
/// An agent started on a state directory an earlier agent left: the earlier agent is played by the test, which leases
/// a task through the real protocol, starts its sandbox with a real driver and writes the record an agent writes.
/// </summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task A_running_sandbox_is_recovered_not_restarted_and_its_result_reported_under_the_same_epoch()
    {
        await using var harness = await AgentHarness.StartAsync();
        var (run, lease, sandbox) = await EarlierAgentStartsAsync(
            harness,
            "bubblewrap",
            "echo one; while [ ! -e go ]; do sleep 0.02; done; echo two; printf 'tail'; exit 3"
        );

        harness.StartAgent();
        await AgentHarness.UntilAsync(
            async () => (await harness.LinesAsync(run.Id)).Contains("one"),
            "the first line on the server"
        );
        await File.WriteAllTextAsync(Path.Combine(ScratchOf(harness, sandbox), "work", "go"), "");
        var ended = await harness.WaitEndedAsync(run.Id);

        Assert.Equal((RunState.Failed, 3, 1), (ended.Status, ended.ExitCode, ended.Attempt));
        Assert.Equal(["one", "two", "tail"], await harness.LinesAsync(run.Id));
        // Not restarted: "one" once, and the same attempt.
        Assert.Empty(harness.Journal.Load().Records);
        Assert.False(Directory.Exists(harness.Journal.StateDirectoryOf(sandbox.Handle.SandboxId)));
        Assert.Equal(
            lease.Epoch,
            (await harness.Server.Store.GetRunAsync(run.Id, CancellationToken.None))!.Tasks[0].Epoch
        );
    }

    [Fact]
    public async Task A_sandbox_whose_lease_expired_while_no_agent_ran_is_stopped_and_destroyed()
    {
        // The server's clock is a fake one: the lease runs out when the test moves it, not after a wait. The agent
        // started afterwards keeps the real clock (it only has to find that the lease is gone).
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ttl = TimeSpan.FromMinutes(5);
        await using var harness = await AgentHarness.StartAsync(time, o =>
            o with
            {
                LeaseTtl = ttl,
                RescueInterval = TimeSpan.FromSeconds(10),
            }
        );
        var (run, _, sandbox) = await EarlierAgentStartsAsync(
            harness,
            "bubblewrap",
            "echo one; sleep 600; echo never",
            time
        );
        var bwrap = sandbox.Pid;

        time.Advance(ttl - TimeSpan.FromSeconds(30));
        Assert.Null((await harness.GetRunAsync(run.Id)).EndedAt);
        // The clock moves one rescue interval a poll: past the lease's end, a tick of the rescuer ends the one-attempt
        // run (a tick that re-arms its timer after a step would otherwise wait for a step that never comes).
        await AgentHarness.UntilAsync(
            async () =>
            {
                time.Advance(TimeSpan.FromSeconds(10));
                return (await harness.GetRunAsync(run.Id)).EndedAt is not null;
            },
            "the expired lease ends the run"
        );
        Assert.True(time.GetUtcNow() - run.CreatedAt >= ttl, "the run ended before its lease ran out");
        Assert.NotNull(Alive(bwrap));

        harness.StartAgent();
        await AgentHarness.UntilAsync(
            () => Task.FromResult(harness.Journal.Load().Records.Count == 0),
            "the record is removed"
        );

        Assert.Null(Alive(bwrap));
        Assert.False(Directory.Exists(harness.Journal.StateDirectoryOf(sandbox.Handle.SandboxId)));
        Assert.False(Directory.Exists(ScratchOf(harness, sandbox)));
        Assert.DoesNotContain("never", await harness.LinesAsync(run.Id));
        Assert.Equal(1, (await harness.GetRunAsync(run.Id)).Attempt);
    }

    [Fact]
    public async Task The_process_driver_cannot_recover_so_its_tree_is_killed_and_the_attempt_is_lost_with_its_agent()
    {
        await using var harness = await AgentHarness.StartAsync();
        var (run, _, sandbox) = await EarlierAgentStartsAsync(harness, "process", "echo one; sleep 60; echo never");
        var root = sandbox.Pid;

        harness.StartAgent();
        var ended = await harness.WaitEndedAsync(run.Id);

        Assert.Equal(RunState.Failed, ended.Status);
        // Abandoned, not failed by the agent: its lease ran out, as a lost agent's does (one attempt: no retry).
        Assert.Contains("agent lost after 1 attempt(s)", ended.Reason);
        Assert.Null(Alive(root));
        Assert.Empty(harness.Journal.Load().Records);
        Assert.DoesNotContain("never", await harness.LinesAsync(run.Id));
    }

    /// <summary>
    /// Leases the task of a new run, starts its sandbox and writes its record, as an agent does before it dies.
    /// </summary>
    private static async Task<(RunView Run, Assignment Lease, ISandbox Sandbox)> EarlierAgentStartsAsync(
        AgentHarness harness,
        string driver,
        string script,
        TimeProvider? time = null
    )
    {
        var api = harness.ApiClient(out var http);
        using var _ = http;
        var registered = await api.RegisterAsync(
            new RegisterAgentBody("earlier", new() { [$"driver.{driver}"] = "true" }, 1, "0"),
            CancellationToken.None
        );
        // One attempt: an expired lease then ends the run instead of queueing attempt 2 (a lost agent's default retry).
        var run = await harness.CreateRunAsync(
            new CreateRunBody
            {
                Command = ["sh", "-c", script],
                Driver = driver,
                MaxAttempts = 1,
            }
        );
        var lease = (
            await api.LeaseAsync(new LeaseRequest(registered.AgentId, 1, 5), CancellationToken.None)
        ).Assignments.SingleOrDefault() ?? throw new InvalidOperationException("no lease");
        var journal = harness.Journal;
        var sandboxId = $"{lease.TaskId}-a{lease.Attempt}-e{lease.Epoch}";
        var spec = new SandboxSpec
        {
            SandboxId = sandboxId,
            Command = lease.Command,
            ScratchRoot = harness.ScratchRoot,
            StateDirectory = journal.StateDirectoryOf(sandboxId),
        };
        // The earlier agent's own sink: it dies before it ships anything but the first line.
        var sandbox = await AgentHarness.Driver(driver).StartAsync(spec, new Dropped(), CancellationToken.None);
        var startedAt = (time ?? TimeProvider.System).GetUtcNow();
        await api.MarkRunningAsync(lease.TaskId, new RunningBody(lease.Epoch, startedAt), CancellationToken.None);
        var buffer = new byte[4];
        await AgentHarness.UntilAsync(
            async () => await sandbox.ReadOutputAsync(OutputStream.Stdout, 0, buffer, CancellationToken.None) == 4,
            "the first line written"
        );
        await api.AppendLogsAsync(
            lease.TaskId,
            new LogChunkBody(lease.Epoch, 0, [new AgentLogLine(startedAt, LogStream.Stdout, "one")]),
            CancellationToken.None
        );
        journal.Save(
            new SandboxRecord(
                lease.TaskId,
                lease.RunId,
                lease.Epoch,
                lease.Attempt,
                sandbox.Handle,
                startedAt,
                null,
                new LogCheckpoint(1, 4, 0)
            )
        );
        return (run, lease, sandbox);
    }

    private static string ScratchOf(AgentHarness harness, ISandbox sandbox) =>
        Path.Combine(harness.ScratchRoot, sandbox.Handle.SandboxId);

    private static string? Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z') ? null : stat;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private sealed class Dropped : ISandboxOutput
    {
        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;
    }
}
