using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Server.Agents;

namespace Hearth.Server.Tests.Agents;

/// <summary>
/// The protocol service the agent endpoints call, called directly: what each call answers before it is HTTP.
/// </summary>
public sealed class AgentProtocolServiceTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private AgentProtocol Protocol => _server.Service<AgentProtocol>();

    private async Task<string> RegisterAsync(int capacity)
    {
        var registered = await Protocol.RegisterAsync(
            new RegisterAgentBody("svc", [], capacity, "test"),
            CancellationToken.None
        );
        Assert.Equal(ProtocolOutcome.Ok, registered.Outcome);
        return registered.Value!.AgentId;
    }

    [Theory]
    [InlineData("", 1, "name: required")]
    [InlineData("a", 0, "capacity: must be between 1 and 1024")]
    [InlineData("a", 1025, "capacity: must be between 1 and 1024")]
    public async Task A_registration_with_a_wrong_field_is_invalid_and_names_it(
        string name,
        int capacity,
        string message
    )
    {
        var result = await Protocol.RegisterAsync(
            new RegisterAgentBody(name, [], capacity, "test"),
            CancellationToken.None
        );

        Assert.Equal((ProtocolOutcome.Invalid, message), (result.Outcome, result.Message));
    }

    [Fact]
    public async Task A_lease_answers_assignments_mapped_from_the_stored_tasks_up_to_the_slots_asked()
    {
        await Granted.CreateRunAsync(
            _server,
            new CreateRunBody
            {
                Command = ["echo", "a"],
                Env = new() { ["K"] = "v" },
            }
        );
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["echo", "b"] });
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["echo", "c"] });
        var agent = await RegisterAsync(4);

        var result = await Protocol.LeaseAsync(new LeaseRequest(agent, 2, 1), CancellationToken.None);

        Assert.Equal(ProtocolOutcome.Ok, result.Outcome);
        Assert.Equal(["a", "b"], result.Value!.Assignments.Select(a => a.Command[1]));
        Assert.Equal("v", result.Value.Assignments[0].Env["K"]);
        Assert.All(result.Value.Assignments, a =>
            Assert.Equal((TaskKind.Command, 1L, 1), (a.Kind, a.Epoch, a.Attempt))
        );
    }

    [Fact]
    public async Task A_poll_from_an_agent_that_hung_up_takes_nothing()
    {
        var run = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var agent = await RegisterAsync(1);
        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();

        var result = await Protocol.LeaseAsync(new LeaseRequest(agent, 1, 1), gone.Token);

        Assert.Empty(result.Value!.Assignments);
        var view = await Granted.RunAsync(_server, run.Id);
        Assert.Equal((RunState.Starting, (string?)null), (view.Status, view.AgentId));
    }

    [Fact]
    public async Task A_result_under_an_old_epoch_is_stale_and_a_result_past_the_log_is_a_gap()
    {
        await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var agent = await RegisterAsync(1);
        var lease = (
            await Protocol.LeaseAsync(new LeaseRequest(agent, 1, 1), CancellationToken.None)
        ).Value!.Assignments.Single();
        var line = new AgentLogLine(DateTimeOffset.UtcNow, LogStream.Stdout, "x");

        var stale = await Protocol.CompleteAsync(
            lease.TaskId,
            new CompleteBody(lease.Epoch - 1, 0, false, null),
            CancellationToken.None,
            CancellationToken.None
        );
        var gap = await Protocol.CompleteAsync(
            lease.TaskId,
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, 3, [line]),
            CancellationToken.None,
            CancellationToken.None
        );
        var unknown = await Protocol.HeartbeatAsync("nosuchtask-1", new HeartbeatBody(1, 0), CancellationToken.None);

        Assert.Equal(ProtocolOutcome.Stale, stale.Outcome);
        Assert.Equal((ProtocolOutcome.LogGap, 0L), (gap.Outcome, gap.NextOffset));
        Assert.Equal(ProtocolOutcome.NotFound, unknown.Outcome);
    }

    [Fact]
    public async Task A_result_asking_for_the_next_task_is_answered_with_its_assignment()
    {
        var first = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var second = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["echo", "next"] });
        var agent = await RegisterAsync(1);
        var lease = (
            await Protocol.LeaseAsync(new LeaseRequest(agent, 1, 1), CancellationToken.None)
        ).Value!.Assignments.Single();

        var done = await Protocol.CompleteAsync(
            lease.TaskId,
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, Next: new AgentRef(agent)),
            CancellationToken.None,
            CancellationToken.None
        );

        Assert.Equal(ProtocolOutcome.Ok, done.Outcome);
        Assert.Equal((second.Id, "next"), (done.Value!.Next!.RunId, done.Value.Next.Command[1]));
        Assert.Equal(RunState.Succeeded, (await Granted.RunAsync(_server, first.Id)).Status);
    }
}
