using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Tests.Webhooks;
using Hearth.Store.Statuses;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Tests.Statuses;

/// <summary>
/// One server, one git repository and one listener playing the forges' APIs, shared by the tests of the class.
/// </summary>
public sealed class CommitStatusFixture : IAsyncLifetime
{
    internal GitFixture Git { get; } = new();
    internal TestServer Server { get; private set; } = null!;
    internal ForgeApiListener Forge { get; private set; } = null!;
    internal HttpClient Admin => Server.Client(Server.AdminKey);
    internal ICommitStatusStore Store => Server.Server.Services.GetRequiredService<ICommitStatusStore>();

    public async Task InitializeAsync()
    {
        Forge = await ForgeApiListener.StartAsync();
        Server = await TestServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await Forge.DisposeAsync();
        Git.Dispose();
    }
}

/// <summary>
/// Commit statuses go back to each forge exactly as its REST API documents them (path, auth scheme, headers, JSON
/// body), from a durable outbox: a run started by a signed push is reported pending and then its end; a forge that
/// refuses (4xx) is recorded and not asked again; one that fails (5xx) is asked again later.
/// </summary>
public sealed class CommitStatusTests(CommitStatusFixture f) : IClassFixture<CommitStatusFixture>
{
    private const string Sha = "0123456789abcdef0123456789abcdef01234567";

    private async Task RegisterAsync(string name, string forge, string url, string apiPrefix, string token = "tok")
    {
        var response = await f.Admin.PostAsJsonAsync(
            "api/v1/repos",
            new RepositoryBody(
                name,
                forge,
                url,
                "hook-secret",
                Token: token,
                Workflows: [".hearth/ci.kdl"],
                ApiUrl: f.Forge.Url + apiPrefix
            ),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var view = (await response.Content.ReadFromJsonAsync<RepositoryView>(HearthJson.Options))!;
        Assert.Equal(f.Forge.Url + apiPrefix, view.StatusApiUrl);
    }

    /// <summary>
    /// Puts a finished run's status straight into the outbox (its run need not exist: a terminal status is not tracked
    /// further).
    /// </summary>
    private Task TrackAsync(string repository, string runId, string phase, string description)
    {
        var now = DateTimeOffset.UtcNow;
        var run = new TrackedRun(
            runId,
            repository,
            Sha,
            "hearth/.hearth/ci.kdl",
            "https://hearth.example/api/v1/workflows/runs/" + runId,
            phase,
            now
        );
        return f.Store.TrackAsync(run, CommitStatusEntry.For(run, phase, description, now), CancellationToken.None);
    }

    [Fact]
    public async Task Each_forge_gets_the_request_its_api_documents()
    {
        await RegisterAsync("gh", "github", "https://github.com/team/app.git", "/gh");
        await RegisterAsync("gl", "gitlab", "https://gitlab.example.com/group/sub/app.git", "/gl/api/v4");
        await RegisterAsync("gt", "gitea", "https://gitea.example.com/team/app.git", "/gt/api/v1");
        await RegisterAsync("fj", "forgejo", "https://codeberg.org/team/app.git", "/fj/api/v1");
        await RegisterAsync("bbc", "bitbucket", "https://bitbucket.org/work/app.git", "/bbc/2.0");
        await RegisterAsync("bbd", "bitbucket", "https://bitbucket.example.com/scm/proj/app.git", "/bbd");
        await TrackAsync("gh", "run-gh", StatusPhase.Success, "Hearth: succeeded");
        await TrackAsync("gl", "run-gl", StatusPhase.Failure, "Hearth: failed: step 1 exited 3");
        await TrackAsync("gt", "run-gt", StatusPhase.Error, "Hearth: error: timed out");
        await TrackAsync("fj", "run-fj", StatusPhase.Success, "Hearth: succeeded");
        await TrackAsync("bbc", "run-bbc", StatusPhase.Canceled, "Hearth: stopped");
        await TrackAsync("bbd", "run-bbd", StatusPhase.Canceled, "Hearth: stopped");

        static string Link(string run) => "https://hearth.example/api/v1/workflows/runs/" + run;
        var gh = await OneAsync($"/gh/repos/team/app/statuses/{Sha}");
        Assert.Equal("Bearer tok", gh.Headers["Authorization"]);
        Assert.Equal("application/vnd.github+json", gh.Headers["Accept"]);
        Assert.Equal("2022-11-28", gh.Headers["X-GitHub-Api-Version"]);
        Assert.Equal("hearth-commit-status", gh.Headers["User-Agent"]);
        Assert.Equal(
            $$"""{"state":"success","target_url":"{{Link("run-gh")}}","description":"Hearth: succeeded","context":"hearth/.hearth/ci.kdl"}""",
            gh.Body
        );

        // GitLab's project id is the full path, URL-encoded as one path segment; a failure is "failed".
        var gl = await OneAsync($"/gl/api/v4/projects/group%2Fsub%2Fapp/statuses/{Sha}");
        Assert.Equal("tok", gl.Headers["PRIVATE-TOKEN"]);
        Assert.False(gl.Headers.ContainsKey("Authorization"));
        Assert.Equal(
            $$"""{"state":"failed","name":"hearth/.hearth/ci.kdl","target_url":"{{Link("run-gl")}}","description":"Hearth: failed: step 1 exited 3"}""",
            gl.Body
        );

        var gt = await OneAsync($"/gt/api/v1/repos/team/app/statuses/{Sha}");
        Assert.Equal("token tok", gt.Headers["Authorization"]);
        Assert.Equal(
            $$"""{"state":"error","target_url":"{{Link("run-gt")}}","description":"Hearth: error: timed out","context":"hearth/.hearth/ci.kdl"}""",
            gt.Body
        );
        var fj = await OneAsync($"/fj/api/v1/repos/team/app/statuses/{Sha}");
        Assert.Equal("token tok", fj.Headers["Authorization"]);
        Assert.Contains("\"state\":\"success\"", fj.Body);

        var bbc = await OneAsync($"/bbc/2.0/repositories/work/app/commit/{Sha}/statuses/build");
        Assert.Equal("Bearer tok", bbc.Headers["Authorization"]);
        Assert.Equal(
            $$"""{"key":"hearth/.hearth/ci.kdl","state":"STOPPED","url":"{{Link("run-bbc")}}","name":"hearth/.hearth/ci.kdl","description":"Hearth: stopped"}""",
            bbc.Body
        );
        // Data Center's 1.0 resource has no stopped state: a stop is FAILED there.
        var bbd = await OneAsync($"/bbd/rest/build-status/1.0/commits/{Sha}");
        Assert.Equal("Bearer tok", bbd.Headers["Authorization"]);
        Assert.Equal(
            $$"""{"key":"hearth/.hearth/ci.kdl","state":"FAILED","url":"{{Link("run-bbd")}}","name":"hearth/.hearth/ci.kdl","description":"Hearth: stopped"}""",
            bbd.Body
        );
        foreach (var r in new[] { gh, gl, gt, fj, bbc, bbd })
        {
            Assert.Equal("POST", r.Method);
            Assert.Equal("application/json", r.Headers["Content-Type"]);
        }

        var listed = (
            await f.Admin.GetFromJsonAsync<CommitStatusListView>("api/v1/repos/gl/statuses", HearthJson.Options)
        )!;
        var status = Assert.Single(listed.Statuses);
        Assert.Equal(("run-gl", "failure", "sent", 1), (status.RunId, status.State, status.Outcome, status.Attempts));
    }

    private async Task<ForgeApiListener.Received> OneAsync(string rawTarget)
    {
        var found = await f.Forge.WaitForAsync(r => r.RawTarget == rawTarget, 1);
        return Assert.Single(found);
    }

    [Fact]
    public async Task A_signed_push_reports_pending_then_how_the_run_ended()
    {
        var sha = f.Git.Commit(
            "main",
            (
                ".hearth/ci.kdl",
                """
                version "0.1"
                triggers { push { branches "main" } }
                chain {
                    machine "nowhere"
                    fragment { run "true" }
                }
                """
            )
        );
        await RegisterAsync("pushed", "github", f.Git.Url, "/push");
        var body = Encoding.UTF8.GetBytes(
            $$"""{"ref":"refs/heads/main","after":"{{sha}}","deleted":false,"head_commit":{"id":"{{sha}}"},"commits":[]}"""
        );
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/github/pushed")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", "status-d-1");
        request.Headers.Add(
            "X-Hub-Signature-256",
            "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("hook-secret"u8, body))
        );
        var response = await f.Server.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var runId = Assert.Single((await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!.RunIds);

        // The file:// repository's owner/repo is its path's last two segments.
        var path = $"/push/repos/{Path.GetFileName(f.Git.Root)}/origin/statuses/{sha}";
        var pending = Assert.Single(await f.Forge.WaitForAsync(r => r.RawTarget == path, 1));
        Assert.Equal(
            $$"""{"state":"pending","target_url":"{{f.Server.Url.AbsoluteUri}}api/v1/workflows/runs/{{runId}}","description":"Hearth: queued","context":"hearth/.hearth/ci.kdl"}""",
            pending.Body
        );

        // No agent serves "nowhere": stopping the run ends it, and GitHub (which has no canceled state) hears error.
        var kill = await f.Admin.PostAsync($"api/v1/runs/{runId}/kill", null);
        Assert.Equal(HttpStatusCode.Accepted, kill.StatusCode);
        var both = await f.Forge.WaitForAsync(r => r.RawTarget == path, 2);
        Assert.Contains("\"state\":\"error\"", both[1].Body);
        Assert.Contains("\"description\":\"Hearth: stopped", both[1].Body);
        var listed = (
            await f.Admin.GetFromJsonAsync<CommitStatusListView>("api/v1/repos/pushed/statuses", HearthJson.Options)
        )!;
        Assert.Equal(["canceled", "pending"], listed.Statuses.Select(s => s.State));
        Assert.All(listed.Statuses, s => Assert.Equal("sent", s.Outcome));
    }

    [Fact]
    public async Task A_refusing_forge_is_recorded_once_and_a_failing_one_is_asked_again_later()
    {
        await RegisterAsync("refuses", "gitea", "https://gitea.example.com/team/refuses.git", "/refuses");
        await RegisterAsync("flaky", "gitea", "https://gitea.example.com/team/flaky.git", "/flaky");
        var flakyCalls = 0;
        f.Forge.Answer = raw =>
            raw.StartsWith("/refuses/", StringComparison.Ordinal) ? 422
            : raw.StartsWith("/flaky/", StringComparison.Ordinal) && Interlocked.Increment(ref flakyCalls) <= 3 ? 503
            : 201;
        await TrackAsync("refuses", "run-refused", StatusPhase.Success, "Hearth: succeeded");
        await TrackAsync("flaky", "run-flaky", StatusPhase.Success, "Hearth: succeeded");

        // 422: recorded as failed with the forge's answer after one request, and never sent again.
        await f.Forge.WaitForAsync(r => r.RawTarget.StartsWith("/refuses/", StringComparison.Ordinal), 1);
        var refused = await WaitForOutcomeAsync("refuses", "failed");
        Assert.Equal(1, refused.Attempts);
        Assert.Contains("answered 422", refused.Error);
        Assert.Contains("refused by the test forge", refused.Error);

        // 503 three times (one send: the request and the HTTP pipeline's two retries), back to the outbox, then sent on
        // a later attempt.
        var sent = await WaitForOutcomeAsync("flaky", "sent", TimeSpan.FromSeconds(30));
        Assert.Equal(2, sent.Attempts);
        Assert.Equal(4, f.Forge.Requests.Count(r => r.RawTarget.StartsWith("/flaky/", StringComparison.Ordinal)));
        Assert.Single(f.Forge.Requests, r => r.RawTarget.StartsWith("/refuses/", StringComparison.Ordinal));
    }

    private async Task<CommitStatusView> WaitForOutcomeAsync(string repository, string outcome, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var listed = (
                await f.Admin.GetFromJsonAsync<CommitStatusListView>(
                    $"api/v1/repos/{repository}/statuses",
                    HearthJson.Options
                )
            )!;
            if (listed.Statuses is [{ } only] && only.Outcome == outcome)
                return only;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(
                    $"{repository}: {string.Join(", ", listed.Statuses.Select(s => $"{s.Outcome} {s.Error}"))}"
                );
            await Task.Delay(100);
        }
    }
}
