using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// GitLab's Job Hook wakes the poller (whose own interval here is far longer than the test): a forged or unsigned event
/// is refused, a pending job's event makes the server take the job at once, and a job's second event wakes nothing.
/// </summary>
public sealed class GitLabHookTests : IAsyncLifetime
{
    private const string HookToken = "hook-secret-token";
    private FakeGitLab _gitlab = null!;
    private GitDaemon _git = null!;
    private AgentHarness _harness = null!;

    public async Task InitializeAsync()
    {
        _gitlab = await FakeGitLab.StartAsync();
        _git = await GitDaemon.StartAsync();
        _harness = await AgentHarness.StartAsync(configure: o =>
            o with
            {
                GitLab = o.GitLab with
                {
                    PollInterval = TimeSpan.FromMinutes(30),
                    TraceInterval = TimeSpan.FromMilliseconds(200),
                    WebhookToken = HookToken,
                },
            }
        );
        _harness.StartAgent(_harness.Options() with { AllowedDrivers = ["bubblewrap"] });
        var added = await _harness.Admin.PostAsJsonAsync(
            "api/v1/gitlab/runners",
            new GitLabRunnerBody("fake", _gitlab.Url.ToString(), FakeGitLab.RunnerToken, [], "bubblewrap", null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        // The poller's first round, with the runner in it, is over: from now on only a hook makes it ask again.
        await AgentHarness.UntilAsync(() => Task.FromResult(_gitlab.JobRequests > 0), "first job request");
    }

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        await _git.DisposeAsync();
        await _gitlab.DisposeAsync();
    }

    [Fact]
    public async Task A_signed_pending_event_makes_the_server_take_the_job_now_and_forged_or_repeated_ones_do_nothing()
    {
        const long id = 501;
        _gitlab.Enqueue(GitLabJobTests.JobJson(id, _git.Url, _git.SecondCommit, ["echo hooked"], []));
        var requests = _gitlab.JobRequests;

        var unsigned = await HookAsync(null, id, "pending");
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Contains("X-Gitlab-Token is missing", await unsigned.Content.ReadAsStringAsync());
        var forged = await HookAsync("hook-secret-tokem", id, "pending");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(requests, _gitlab.JobRequests);
        Assert.Null(_gitlab.JobOf(id));

        var created = await HookAsync(HookToken, id, "created");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        await AgentHarness.UntilAsync(
            () => Task.FromResult(_gitlab.JobOf(id)?.Final is not null),
            "job taken and reported"
        );
        Assert.Equal("success", _gitlab.JobOf(id)!.Final!.State);
        Assert.Contains("hooked\n", _gitlab.JobOf(id)!.TraceText);

        var pending = await HookAsync(HookToken, id, "pending");
        Assert.Equal(HttpStatusCode.Accepted, pending.StatusCode);
        Assert.Contains($"job {id} was announced already", await pending.Content.ReadAsStringAsync());
    }

    private async Task<HttpResponseMessage> HookAsync(string? token, long id, string status)
    {
        using var http = new HttpClient { BaseAddress = _harness.Server.Url };
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/gitlab/hook")
        {
            Content = new StringContent(
                new JsonObject
                {
                    ["object_kind"] = "build",
                    ["build_id"] = id,
                    ["build_status"] = status,
                    ["build_name"] = "test",
                    ["project_id"] = 1,
                    ["tags"] = new JsonArray("firecracker-2cpu-4gb"),
                }.ToJsonString(),
                Encoding.UTF8,
                "application/json"
            ),
        };
        request.Headers.Add("X-Gitlab-Event", "Job Hook");
        if (token is not null)
            request.Headers.Add("X-Gitlab-Token", token);
        return await http.SendAsync(request);
    }
}
