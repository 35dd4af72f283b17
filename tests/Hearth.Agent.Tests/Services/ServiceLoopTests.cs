using System.Net;
using System.Net.Http.Json;
using Hearth.Agent.Services;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Services;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Agent.Tests.Services;

/// <summary>
/// The agent's two service loops against a real server: the volume sweep of <c>down -v</c> and the exec loop of
/// <c>hearth exec</c>. The test registers the agent and takes the replica's lease through the protocol itself.
/// </summary>
public sealed class ServiceLoopTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task The_sweep_removes_a_gone_projects_volumes_once_no_replica_here_mounts_them_and_reports_each()
    {
        await using var harness = await AgentHarness.StartAsync();
        var api = harness.ApiClient(out var http);
        using var _ = http;
        var agentId = await RegisterAsync(api);
        var spec = new ProjectSpec
        {
            Name = "keep",
            Volumes = ["data", "cache"],
            Services =
            [
                new ServiceDefinition
                {
                    Name = "db",
                    Image = "busybox",
                    Mounts = [new ServiceMount(ServiceMountKind.Volume, "cache", "/c", false)],
                },
            ],
        };
        Assert.Equal(
            HttpStatusCode.OK,
            (await harness.Admin.PutAsJsonAsync("api/v1/projects/keep", spec, HearthJson.Options)).StatusCode
        );
        var lease = await LeaseAsync(api, agentId);
        await using var runtime = NewRuntime(api, harness);
        var replica = runtime.Prepare(
            lease,
            new SandboxSpec
            {
                SandboxId = "sb",
                Command = [],
                ScratchRoot = harness.ScratchRoot,
            }
        );
        runtime.Volumes.Ensure("keep", "data");
        runtime.Volumes.Ensure("other", "data");
        var sweeper = new VolumeSweeper(api, runtime, "a1", NullLogger.Instance, TimeProvider.System);
        IReadOnlyList<(string, string)> Held() => [.. runtime.Volumes.List().Order()];

        // The project is up: nothing goes.
        Assert.True(await sweeper.SweepAsync(None));
        Assert.Equal([("keep", "cache"), ("keep", "data"), ("other", "data")], Held());

        // down -v: the volume no replica mounts goes at once, the one the replica still mounts stays; another project's
        // stays.
        Assert.Equal(
            HttpStatusCode.Accepted,
            (await harness.Admin.DeleteAsync("api/v1/projects/keep?volumes=true")).StatusCode
        );
        await api.CompleteAsync(lease.TaskId, new CompleteBody(lease.Epoch, 137, false, null), None);
        await UntilAsync(
            async () => (await harness.Admin.GetAsync("api/v1/projects/keep")).StatusCode == HttpStatusCode.NotFound,
            "project gone"
        );
        Assert.True(await sweeper.SweepAsync(None));
        Assert.Equal([("keep", "cache"), ("other", "data")], Held());
        Assert.True(Directory.Exists(Path.Combine(harness.StateDirectory, "volumes", "keep_cache", "data")));

        // Its replica gone, the next pass removes the other one too; each removal is an event of the project.
        await replica.DisposeAsync();
        Assert.True(await sweeper.SweepAsync(None));
        Assert.Equal([("other", "data")], Held());
        Assert.False(Directory.Exists(Path.Combine(harness.StateDirectory, "volumes", "keep_cache")));
        var events = (
            await harness.Admin.GetFromJsonAsync<ServiceEventListView>(
                "api/v1/projects/keep/events",
                HearthJson.Options
            )
        )!.Events;
        Assert.Equal(
            ["volume data removed on a1", "volume cache removed on a1"],
            events.Where(e => e.Kind == ReplicaEventKind.VolumeRemoved).Select(e => e.Message)
        );
    }

    [Fact]
    public async Task The_exec_loop_runs_a_session_in_the_replicas_sandbox_and_answers_one_for_a_task_it_does_not_run()
    {
        await using var harness = await AgentHarness.StartAsync();
        var api = harness.ApiClient(out var http);
        using var _ = http;
        var agentId = await RegisterAsync(api);
        var spec = new ProjectSpec
        {
            Name = "box",
            Services = [new ServiceDefinition { Name = "web", Image = "busybox" }],
        };
        Assert.Equal(
            HttpStatusCode.OK,
            (await harness.Admin.PutAsJsonAsync("api/v1/projects/box", spec, HearthJson.Options)).StatusCode
        );
        var lease = await LeaseAsync(api, agentId);
        await api.MarkRunningAsync(lease.TaskId, new RunningBody(lease.Epoch, DateTimeOffset.UtcNow), None);
        await UntilAsync(
            async () =>
                (await harness.Admin.GetFromJsonAsync<ProjectView>("api/v1/projects/box", HearthJson.Options))!
                    .Replicas.Single()
                    .State == ReplicaPhase.Running,
            "web-1 running"
        );

        // The replica's sandbox: a real bubblewrap one, the exec target while its health is watched.
        Directory.CreateDirectory(harness.ScratchRoot);
        await using var sandbox = await AgentHarness
            .Driver("bubblewrap")
            .StartAsync(
                new SandboxSpec
                {
                    SandboxId = "exec-" + Guid.NewGuid().ToString("N")[..8],
                    Command = ["sh", "-c", "echo inside > marker; sleep 60"],
                    ScratchRoot = harness.ScratchRoot,
                },
                new Discard(),
                None
            );
        await using var runtime = NewRuntime(api, harness);
        using var watched = new CancellationTokenSource();
        await runtime.MonitorHealthAsync(lease, sandbox, watched.Token);
        using var stop = new CancellationTokenSource();
        var loop = new ReplicaExecLoop(api, runtime, NullLogger.Instance, TimeProvider.System);
        var looping = loop.RunAsync(agentId, stop.Token);

        var events = await ExecAsync(
            harness,
            ["sh", "-c", "until [ -e marker ]; do sleep 0.05; done; cat marker; echo oops >&2; exit 3"]
        );
        Assert.Equal(4, events.Count);
        Assert.Equal(new ExecEventView(Replica: "web-1"), events[0]);
        Assert.Equal(new ExecEventView(ExitCode: 3), events[^1]);
        // stdout and stderr are two pipes read apart: each keeps its order, their interleaving is not defined.
        Assert.Equal(
            [new ExecEventView("stderr", "oops"), new ExecEventView("stdout", "inside")],
            events[1..^1].OrderBy(e => e.Stream, StringComparer.Ordinal)
        );

        // Its health no longer watched (the replica ended here), a session for it gets the agent's reason.
        await watched.CancelAsync();
        events = await ExecAsync(harness, ["true"]);
        Assert.Equal(
            [
                new ExecEventView(Replica: "web-1"),
                new ExecEventView(Error: $"task {lease.TaskId} is not running on this agent"),
            ],
            events
        );

        await stop.CancelAsync();
        await looping.WaitAsync(AgentHarness.Timeout);
    }

    private static async Task<List<ExecEventView>> ExecAsync(AgentHarness harness, IReadOnlyList<string> command)
    {
        var response = await harness.Admin.PostAsJsonAsync(
            "api/v1/projects/box/exec",
            new ExecBody("web", command),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return
        [
            .. (await response.Content.ReadAsStringAsync())
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => System.Text.Json.JsonSerializer.Deserialize<ExecEventView>(l, HearthJson.Options)!),
        ];
    }

    private static ServiceRuntime NewRuntime(AgentApiClient api, AgentHarness harness) =>
        new(
            api,
            harness.StateDirectory,
            TimeProvider.System,
            NullLogger.Instance,
            new ServiceRuntimeOptions { BindRoots = [], Upstreams = [] }
        );

    private static async Task<string> RegisterAsync(AgentApiClient api) =>
        (
            await api.RegisterAsync(
                new RegisterAgentBody("a1", new Dictionary<string, string> { ["driver.oci"] = "true" }, 4, "test"),
                None
            )
        ).AgentId;

    private static async Task<Assignment> LeaseAsync(AgentApiClient api, string agentId)
    {
        var until = DateTimeOffset.UtcNow + AgentHarness.Timeout;
        while (DateTimeOffset.UtcNow < until)
            if ((await api.LeaseAsync(new LeaseRequest(agentId, 1, 5), None)).Assignments is [var one])
                return one;
        throw new Xunit.Sdk.XunitException("no assignment");
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTimeOffset.UtcNow + AgentHarness.Timeout;
        while (DateTimeOffset.UtcNow < until)
        {
            if (await condition())
                return;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"not reached: {what}");
    }

    private sealed class Discard : ISandboxOutput
    {
        public ValueTask WriteLineAsync(OutputStream stream, string line, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;
    }
}
