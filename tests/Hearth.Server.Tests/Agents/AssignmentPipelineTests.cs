using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Agents.Assignments;
using Hearth.Server.Background;
using Hearth.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Server.Tests.Agents;

/// <summary>
/// The pipeline's order and what becomes of a task when a step fails, drops or throws, over the real store.
/// </summary>
public sealed class AssignmentPipelineTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>A step written for these tests: it records that it ran and does what it is told.</summary>
    private sealed class Step(string name, Func<AssignmentDraft, StepOutcome> apply, List<string> ran) : IAssignmentStep
    {
        public string Name => name;

        public Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
        {
            ran.Add(name);
            return Task.FromResult(apply(draft));
        }
    }

    private AssignmentPipeline Pipeline(params IAssignmentStep[] steps) =>
        new(
            steps,
            _server.Server.Store,
            _server.Service<Signals>(),
            _server.Time,
            NullLogger<AssignmentPipeline>.Instance
        );

    [Fact]
    public async Task Steps_run_in_order_each_on_the_draft_the_one_before_made_and_the_result_is_mapped()
    {
        var run = await Granted.CreateRunAsync(
            _server,
            new CreateRunBody
            {
                Command = ["make", "deploy"],
                Env = new() { ["STAGE"] = "prod" },
                TimeoutSeconds = 90,
                Cpus = 2,
            }
        );
        var lease = await Granted.ClaimAsync(_server);
        var ran = new List<string>();
        var pipeline = Pipeline(
            new Step(
                "first",
                d => StepOutcome.Next(d with { SecretEnv = new Dictionary<string, string> { ["A"] = "alpha" } }),
                ran
            ),
            new Step(
                "second",
                d =>
                    StepOutcome.Next(
                        d with
                        {
                            LockTokens = new Dictionary<string, long> { ["deploy"] = d.SecretEnv.Count + 6 },
                        }
                    ),
                ran
            )
        );

        var assignment = await pipeline.CompleteAsync(lease, CancellationToken.None);

        Assert.Equal(["first", "second"], ran);
        Assert.NotNull(assignment);
        Assert.Equal(
            (lease.TaskId, run.Id, TaskKind.Command, lease.Epoch, 1),
            (assignment.TaskId, assignment.RunId, assignment.Kind, assignment.Epoch, assignment.Attempt)
        );
        Assert.Equal(["make", "deploy"], assignment.Command);
        Assert.Equal("prod", assignment.Env["STAGE"]);
        Assert.Equal(
            ((string?)null, 2.0, 90.0),
            (assignment.Sandbox.Driver, assignment.Sandbox.Cpus, assignment.TimeoutSeconds)
        );
        Assert.Equal([new LockTokenView("deploy", 7)], assignment.Locks);
        Assert.Equal(["alpha"], assignment.Mask);
        Assert.Null(assignment.Git);
    }

    [Fact]
    public async Task A_failing_step_ends_the_task_with_a_reason_naming_it_and_no_later_step_runs()
    {
        var run = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var lease = await Granted.ClaimAsync(_server);
        var ran = new List<string>();
        var pipeline = Pipeline(
            new Step("secrets", _ => StepOutcome.Fail("secret 'db' no longer exists"), ran),
            new Step("later", StepOutcome.Next, ran)
        );

        Assert.Null(await pipeline.CompleteAsync(lease, CancellationToken.None));

        Assert.Equal(["secrets"], ran);
        var ended = await Granted.RunAsync(_server, run.Id);
        Assert.Equal(
            (RunState.Failed, "assignment step 'secrets' failed: secret 'db' no longer exists"),
            (ended.Status, ended.Reason)
        );
    }

    [Fact]
    public async Task A_step_that_throws_fails_the_task_with_what_it_said_instead_of_leaving_the_lease_to_expire()
    {
        var run = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var lease = await Granted.ClaimAsync(_server);
        var pipeline = Pipeline(
            new Step("broken", _ => throw new InvalidOperationException("the keyring is not loaded"), [])
        );

        Assert.Null(await pipeline.CompleteAsync(lease, CancellationToken.None));

        var ended = await Granted.RunAsync(_server, run.Id);
        Assert.Equal(
            (RunState.Failed, "assignment step 'broken' failed: the keyring is not loaded"),
            (ended.Status, ended.Reason)
        );
    }

    [Fact]
    public async Task A_step_the_database_fails_gives_the_lease_back_so_the_task_is_claimed_again()
    {
        var run = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var lease = await Granted.ClaimAsync(_server);
        var pipeline = Pipeline(new Step("busy", _ => throw new SqliteException("database is locked", 5), []));

        Assert.Null(await pipeline.CompleteAsync(lease, CancellationToken.None));

        Assert.Equal(RunState.Starting, (await Granted.RunAsync(_server, run.Id)).Status);
        var again = await Granted.ClaimAsync(_server);
        Assert.Equal((lease.TaskId, lease.Epoch + 1), (again.TaskId, again.Epoch));
    }

    [Fact]
    public async Task A_dropped_lease_is_not_handed_out_and_the_task_is_left_to_its_current_lease()
    {
        var run = await Granted.CreateRunAsync(_server, new CreateRunBody { Command = ["true"] });
        var lease = await Granted.ClaimAsync(_server);
        var ran = new List<string>();
        var pipeline = Pipeline(
            new Step("masks", _ => StepOutcome.Drop(), ran),
            new Step("later", StepOutcome.Next, ran)
        );

        Assert.Null(await pipeline.CompleteAsync(lease, CancellationToken.None));

        Assert.Equal(["masks"], ran);
        var view = await Granted.RunAsync(_server, run.Id);
        Assert.Equal((RunState.Starting, "agent-under-test"), (view.Status, view.AgentId));
    }

    [Fact]
    public void The_server_completes_assignments_with_secrets_then_git_credentials_then_service_files_then_masks()
    {
        var pipeline = _server.Service<AssignmentPipeline>();

        // A service's secret files are filled before the masks, so that their contents are masked in its log.
        Assert.Equal(
            ["secrets", "git credentials", "service files", "lock tokens", "gitlab job", "masks"],
            pipeline.Steps.Select(s => s.Name)
        );
    }
}
