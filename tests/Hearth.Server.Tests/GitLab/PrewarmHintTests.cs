using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Agents;
using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Server.GitLab;
using Hearth.Store.Changes;
using Hearth.Store.GitLab;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests.GitLab;

/// <summary>
/// Prewarm hints: what a Job Hook's job asks for (<see cref="JobPrewarm"/>), how hints wait for an agent with their
/// driver and go to one only (<see cref="PrewarmHints"/>), and how a lease answer carries one, ending a waiting poll.
/// </summary>
public sealed class PrewarmHintTests
{
    private static readonly GitLabRunnerRecord VmRunner = new(
        "vm",
        "https://gitlab.example.com/",
        7,
        "k",
        "c",
        ["linux"],
        "microvm",
        "registry.example/ci:1",
        null,
        DateTimeOffset.UnixEpoch
    );

    private static readonly Dictionary<string, string> MicroVmAgent = new() { ["driver.microvm"] = "true" };
    private static readonly Dictionary<string, string> OciAgent = new() { ["driver.oci"] = "true" };

    [Fact]
    public void A_sized_microvm_tag_asks_for_a_vm_of_that_size_from_the_first_microvm_runners_image_with_a_network()
    {
        var oci = VmRunner with { Name = "oci", Driver = "oci" };
        var hint = JobPrewarm.For(42, ["linux", "firecracker-2cpu-512mb"], [oci, VmRunner], new GitLabOptions());
        Assert.Equal(
            new PrewarmHint("microvm", "registry.example/ci:1", 2, 512L << 20, true, "gitlab job 42 (vm)"),
            hint
        );
        Assert.Equal(8L << 30, JobPrewarm.For(1, ["microvm-4cpu-8gb"], [VmRunner], new GitLabOptions())!.MemoryBytes);

        // Nothing to warm: no size named, a malformed or out-of-bounds size, no microvm runner or one without an image.
        Assert.Null(JobPrewarm.For(1, ["firecracker"], [VmRunner], new GitLabOptions()));
        Assert.Null(JobPrewarm.For(1, ["linux"], [VmRunner], new GitLabOptions()));
        Assert.Null(JobPrewarm.For(1, ["firecracker-big"], [VmRunner], new GitLabOptions()));
        Assert.Null(JobPrewarm.For(1, ["firecracker-64cpu-8gb"], [VmRunner], new GitLabOptions()));
        Assert.Null(JobPrewarm.For(1, ["firecracker-2cpu-4gb"], [oci], new GitLabOptions()));
        Assert.Null(JobPrewarm.For(1, ["firecracker-2cpu-4gb"], [VmRunner with { Image = null }], new GitLabOptions()));
    }

    [Fact]
    public void A_hint_goes_to_one_agent_with_its_driver_expires_and_at_most_64_wait()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var hints = new PrewarmHints(new Signals(new LocalChangeFeed()), time);
        var hint = new PrewarmHint("microvm", "img", 2, 512L << 20, true, "gitlab job 1");
        hints.Offer(hint);

        Assert.False(hints.AnyFor(OciAgent));
        Assert.Empty(hints.TakeFor(OciAgent));
        Assert.True(hints.AnyFor(MicroVmAgent));
        Assert.Equal([hint], hints.TakeFor(MicroVmAgent));
        Assert.Empty(hints.TakeFor(MicroVmAgent));

        hints.Offer(hint);
        time.Advance(PrewarmHints.Lifetime);
        Assert.False(hints.AnyFor(MicroVmAgent));

        for (var i = 0; i < PrewarmHints.MaxWaiting + 6; i++)
            hints.Offer(hint with { Reason = $"job {i}" });
        var taken = hints.TakeFor(MicroVmAgent);
        Assert.Equal(PrewarmHints.MaxWaiting, taken.Count);
        Assert.Equal("job 6", taken[0].Reason);
    }

    [Fact]
    public async Task A_hint_ends_a_waiting_poll_of_an_agent_with_its_driver_and_rides_in_its_lease_answer()
    {
        await using var server = await TestServer.StartAsync();
        var agent = server.Client(server.AgentToken);
        var vm = await RegisterAsync(agent, "vm-agent", MicroVmAgent);
        var oci = await RegisterAsync(agent, "oci-agent", OciAgent);
        var ociPoll = agent.PostAsJsonAsync("api/v1/agent/lease", new LeaseRequest(oci, 1, 3), HearthJson.Options);
        var clock = Stopwatch.StartNew();
        var vmPoll = agent.PostAsJsonAsync("api/v1/agent/lease", new LeaseRequest(vm, 1, 20), HearthJson.Options);
        await Task.Delay(300);
        var hint = new PrewarmHint("microvm", "img", 2, 512L << 20, true, "gitlab job 7");
        server.Server.Services.GetRequiredService<PrewarmHints>().Offer(hint);

        var answer = await (await vmPoll).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the poll waited {clock.Elapsed}");
        Assert.Empty(answer!.Assignments);
        Assert.Equal([hint], answer.Prewarm);
        var ociAnswer = await (await ociPoll).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options);
        Assert.Null(ociAnswer!.Prewarm);
        var again = await agent.PostAsJsonAsync("api/v1/agent/lease", new LeaseRequest(vm, 1, 0), HearthJson.Options);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Null((await again.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Prewarm);
    }

    private static async Task<string> RegisterAsync(HttpClient agent, string name, Dictionary<string, string> labels) =>
        (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody(name, labels, 1, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!.AgentId;
}
