using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Tests.Agents;
using Microsoft.Data.Sqlite;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// The receivers against a real server, a real SQLite store and a real git repository over file://: signed deliveries
/// start the workflows their files match at the pushed commit; forged, repeated, oversized and ignored ones do not.
/// </summary>
public sealed class WebhookReceiverTests : IAsyncLifetime
{
    private const string Secret = "hook-secret-1";
    private const string Workflow = """
        version "0.1"
        triggers {
            push { branches "main"; paths-ignore "docs/**" }
            pull_request
            tag { patterns "v*" }
            manual
        }
        chain {
            machine "ci"
            fragment { run "echo building $BRANCH$TAG at $COMMIT_SHA" }
        }
        """;

    private readonly GitFixture _git = new();
    private TestServer _server = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { MaxWebhookBodyBytes = 64 * 1024 },
            }
        );
        _admin = _server.Client(_server.AdminKey);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _git.Dispose();
    }

    private async Task<RepositoryView> RegisterAsync(string forge, string name = "app", string? previous = null)
    {
        var response = await _admin.PostAsJsonAsync(
            "api/v1/repos",
            new RepositoryBody(name, forge, _git.Url, Secret, previous, Workflows: [".hearth/ci.kdl"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RepositoryView>(HearthJson.Options))!;
    }

    private static string GitHubPush(string branch, string sha, params string[] paths) =>
        $$"""{"ref":"refs/heads/{{branch}}","after":"{{sha}}","deleted":false,"head_commit":{"id":"{{sha}}"},"commits":[{"id":"{{sha}}","added":[{{string.Join(",", paths.Select(p => $"\"{p}\""))}}],"modified":[],"removed":[]}]}""";

    private async Task<HttpResponseMessage> SendGitHubAsync(
        string path,
        string body,
        string eventName,
        string delivery,
        string? secret = Secret
    )
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, path.TrimStart('/'))
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", delivery);
        if (secret is not null)
            request.Headers.Add(
                "X-Hub-Signature-256",
                "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes))
            );
        return await _server.Client().SendAsync(request);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_server.StoreFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_signed_push_starts_the_workflow_read_at_the_pushed_commit_once()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow), ("src/a.txt", "a"));
        var repo = await RegisterAsync("github");
        Assert.Equal("/api/v1/webhooks/github/app", repo.WebhookPath);

        var response = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha, "src/a.txt"), "push", "d-1");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var delivery = (await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!;
        var runId = Assert.Single(delivery.RunIds);
        Assert.Equal(sha, delivery.CommitSha);
        var run = (
            await _admin.GetFromJsonAsync<WorkflowRunView>($"api/v1/workflows/runs/{runId}", HearthJson.Options)
        )!;
        Assert.Equal(".hearth/ci.kdl", run.Name);
        Assert.Equal(
            ("push", "main", sha),
            (run.Variables["TRIGGER"], run.Variables["BRANCH"], run.Variables["COMMIT_SHA"])
        );
        Assert.Equal("repository:app", run.Run.CreatedBy);

        // GitHub's redelivery carries the same id: 200, the first run named, nothing new.
        var again = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha, "src/a.txt"), "push", "d-1");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeat = (await again.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!;
        Assert.True(repeat.Duplicate);
        Assert.Equal([runId], repeat.RunIds);
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM runs"));
        Assert.Equal(1, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries"));
        Assert.Equal(
            (1, 1),
            (await DeliveriesCountedAsync("github", "started"), await DeliveriesCountedAsync("github", "duplicate"))
        );
    }

    [Fact]
    public async Task Concurrent_deliveries_are_each_answered_after_their_commit_and_a_stopping_server_answers_503()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow), ("src/a.txt", "a"));
        var repo = await RegisterAsync("github");
        // Sixteen at once share the writer's transactions; two carry one id (a forge's quick retry).
        var ids = Enumerable.Range(0, 15).Select(i => $"c-{i}").Append("c-0").ToList();
        var answers = await Task.WhenAll(
            ids.Select(async id =>
            {
                var response = await SendGitHubAsync(
                    repo.WebhookPath,
                    GitHubPush("main", sha, "src/a.txt"),
                    "push",
                    id
                );
                // Answered only once its delivery is committed: another connection sees it at once.
                var stored = await CountAsync($"SELECT COUNT(*) FROM webhook_deliveries WHERE delivery_id = '{id}'");
                return (
                    response,
                    stored,
                    view: (await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!
                );
            })
        );
        Assert.All(answers, a => Assert.Equal(1, a.stored));
        Assert.Equal(15, answers.Count(a => a.response.StatusCode == HttpStatusCode.Created && !a.view.Duplicate));
        var first = answers.Where(a => a.view.DeliveryId == "c-0").ToList();
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.Created], first.Select(a => a.response.StatusCode).Order());
        Assert.Single(first.Select(a => Assert.Single(a.view.RunIds)).Distinct());
        Assert.Equal(15, await CountAsync("SELECT COUNT(*) FROM runs"));
        // A delivery's row is its record: a 2xx writes no audit entry besides it.
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM access_audit WHERE path LIKE '/api/v1/webhooks/%'"));

        await _server.Service<Hearth.Server.Creation.DeliveryWriter>().StopAsync(CancellationToken.None);
        var late = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha, "src/a.txt"), "push", "c-late");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, late.StatusCode);
        Assert.Equal("SHUTTING_DOWN", await TestServer.CodeOf(late));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE delivery_id = 'c-late'"));
        Assert.Equal(
            1,
            await CountAsync("SELECT COUNT(*) FROM access_audit WHERE path LIKE '/api/v1/webhooks/%' AND status = 503")
        );
    }

    [Fact]
    public async Task A_commit_read_once_is_not_read_with_git_again()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow), ("src/a.txt", "a"));
        var repo = await RegisterAsync("github");
        Assert.Equal(
            HttpStatusCode.Created,
            (await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha, "src/a.txt"), "push", "c-1")).StatusCode
        );

        // Without the origin and the server's clone, only what was read at that commit can start the next event's run.
        Directory.Delete(_git.Bare, recursive: true);
        Directory.Delete(Path.Combine(_server.DataDir, "git-cache", "app"), recursive: true);
        var again = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha, "src/a.txt"), "push", "c-2");
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(2, await CountAsync("SELECT COUNT(*) FROM runs"));

        // A commit never read needs git, which now fails: 503 so the forge retries.
        var other = await SendGitHubAsync(
            repo.WebhookPath,
            GitHubPush("main", new string('e', 40), "src/a.txt"),
            "push",
            "c-3"
        );
        Assert.Equal(HttpStatusCode.ServiceUnavailable, other.StatusCode);
        Assert.Equal("FETCH_FAILED", await TestServer.CodeOf(other));
    }

    /// <summary>hearth_webhook_deliveries_total of one forge and outcome, scraped from the server's /metrics.</summary>
    private async Task<int> DeliveriesCountedAsync(string forge, string outcome)
    {
        var text = await _server.Client().GetStringAsync("/metrics");
        var sample = System.Text.RegularExpressions.Regex.Match(
            text,
            $"^hearth_webhook_deliveries_total{{[^}}]*forge=\"{forge}\"[^}}]*outcome=\"{outcome}\"[^}}]*}} (\\d+)",
            System.Text.RegularExpressions.RegexOptions.Multiline
        );
        return sample.Success
            ? int.Parse(sample.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : 0;
    }

    [Fact]
    public async Task A_forged_or_unsigned_delivery_is_401_and_starts_nothing()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        var repo = await RegisterAsync("github");
        var forged = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha), "push", "d-2", secret: "guessed");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal("INVALID_SIGNATURE", await TestServer.CodeOf(forged));
        var unsigned = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha), "push", "d-3", secret: null);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(2, await DeliveriesCountedAsync("github", "bad_signature"));
        Assert.Equal(0, await DeliveriesCountedAsync("github", "started"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM runs"));
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries"));
    }

    [Fact]
    public async Task Filters_decide_and_ignored_events_are_recorded_with_202()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow), ("docs/x.md", "x"));
        var repo = await RegisterAsync("github");

        var docsOnly = await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha, "docs/x.md"), "push", "d-4");
        Assert.Equal(HttpStatusCode.Accepted, docsOnly.StatusCode);
        var view = (await docsOnly.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!;
        Assert.Equal(
            "no workflow started: .hearth/ci.kdl: every changed path matches paths-ignore \"docs/**\"",
            view.Outcome
        );

        var ping = await SendGitHubAsync(repo.WebhookPath, """{"zen":"Keep it logically awesome."}""", "ping", "d-5");
        Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
        Assert.Equal(
            "ignored: ping",
            (await ping.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!.Outcome
        );

        var other = _git.Commit("feature", (".hearth/ci.kdl", Workflow));
        var feature = await SendGitHubAsync(repo.WebhookPath, GitHubPush("feature", other, "src/b.txt"), "push", "d-6");
        Assert.Equal(HttpStatusCode.Accepted, feature.StatusCode);
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM runs"));
        Assert.Equal(3, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries"));
    }

    [Fact]
    public async Task An_oversized_body_is_413_before_it_is_read_and_an_unknown_repository_404()
    {
        var repo = await RegisterAsync("github");
        var big = "{\"pad\":\"" + new string('x', 70 * 1024) + "\"}";
        var response = await SendGitHubAsync(repo.WebhookPath, big, "push", "d-7");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        // Chunked (no Content-Length): refused once the bytes read pass the limit.
        var chunked = new HttpRequestMessage(HttpMethod.Post, repo.WebhookPath.TrimStart('/'))
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await _server.Client().SendAsync(chunked)).StatusCode);
        Assert.Equal(
            HttpStatusCode.NotFound,
            (await SendGitHubAsync("/api/v1/webhooks/github/nope", "{}", "push", "d-8")).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.NotFound,
            (await SendGitHubAsync("/api/v1/webhooks/gitlab/app", "{}", "push", "d-9")).StatusCode
        );
    }

    [Fact]
    public async Task The_stored_delivery_keeps_no_secret()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        await RegisterAsync("gitea");
        // A pre-1.13 Gitea payload carried the hook's secret in the body.
        var body = $$"""{"secret":"{{Secret}}","ref":"refs/heads/main","after":"{{sha}}","commits":[]}""";
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/gitea/app")
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Headers.Add("X-Gitea-Event", "push");
        request.Headers.Add("X-Gitea-Delivery", "g-1");
        request.Headers.Add(
            "X-Gitea-Signature",
            Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), bytes))
        );
        request.Headers.Add("Authorization", "Basic c2VjcmV0");
        var response = await _server.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(
            0,
            await CountAsync(
                $"SELECT COUNT(*) FROM webhook_deliveries WHERE body LIKE '%{Secret}%' OR headers LIKE '%{Secret}%'"
            )
        );
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE headers LIKE '%c2VjcmV0%'"));
        Assert.Equal(
            1,
            await CountAsync("SELECT COUNT(*) FROM webhook_deliveries WHERE body LIKE '%\"secret\":\"***\"%'")
        );
        // Nor does the repository table hold the secret in the clear.
        Assert.Equal(-1, _server.StoreBytes().AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)));
    }

    [Fact]
    public async Task Two_secrets_verify_during_a_rotation_and_a_dropped_one_no_longer()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        var repo = await RegisterAsync("github");
        var rotated = await _admin.PutAsJsonAsync(
            "api/v1/repos/app/secret",
            new RepositorySecretBody("hook-secret-2"),
            HearthJson.Options
        );
        Assert.Equal(2, (await rotated.Content.ReadFromJsonAsync<RepositoryView>(HearthJson.Options))!.ActiveSecrets);
        Assert.Equal(
            HttpStatusCode.Created,
            (await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha), "push", "r-1", Secret)).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha), "push", "r-1", "hook-secret-2")
            ).StatusCode
        );
        await _admin.PutAsJsonAsync(
            "api/v1/repos/app/secret",
            new RepositorySecretBody("hook-secret-3", KeepPrevious: false),
            HearthJson.Options
        );
        Assert.Equal(
            HttpStatusCode.Unauthorized,
            (await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha), "push", "r-2", Secret)).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.Created,
            (
                await SendGitHubAsync(repo.WebhookPath, GitHubPush("main", sha), "push", "r-3", "hook-secret-3")
            ).StatusCode
        );
    }

    [Fact]
    public async Task GitLab_and_standard_webhooks_deliveries_start_runs_too()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        var tagged = _git.Tag("v1.0");
        await RegisterAsync("gitlab");
        var body = Encoding.UTF8.GetBytes(
            $$"""{"object_kind":"tag_push","ref":"refs/tags/v1.0","after":"{{tagged}}","checkout_sha":"{{tagged}}"}"""
        );
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/gitlab/app")
        {
            Content = new ByteArrayContent(body),
        };
        request.Headers.Add("X-Gitlab-Event", "Tag Push Hook");
        request.Headers.Add("X-Gitlab-Token", Secret);
        request.Headers.Add("Idempotency-Key", "gl-1");
        var response = await _server.Client().SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var runId = Assert.Single((await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!.RunIds);
        var run = (
            await _admin.GetFromJsonAsync<WorkflowRunView>($"api/v1/workflows/runs/{runId}", HearthJson.Options)
        )!;
        Assert.Equal(("tag", "v1.0"), (run.Variables["TRIGGER"], run.Variables["TAG"]));

        var standard = Encoding.UTF8.GetBytes(
            $$$"""{"type":"push","data":{"branch":"main","commit_sha":"{{{sha}}}"}}"""
        );
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        byte[] signed = [.. Encoding.UTF8.GetBytes($"msg_1.{stamp}."), .. standard];
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), signed);
        var generic = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/standard/app")
        {
            Content = new ByteArrayContent(standard),
        };
        generic.Headers.Add("webhook-id", "msg_1");
        generic.Headers.Add("webhook-timestamp", stamp);
        generic.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(mac));
        Assert.Equal(HttpStatusCode.Created, (await _server.Client().SendAsync(generic)).StatusCode);
    }

    [Fact]
    public async Task A_manual_trigger_starts_the_workflow_at_the_ref()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        await RegisterAsync("forgejo");
        var response = await _admin.PostAsJsonAsync(
            "api/v1/repos/app/trigger",
            new TriggerBody("main"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var view = (await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!;
        Assert.Equal(sha, view.CommitSha);
        var run = (
            await _admin.GetFromJsonAsync<WorkflowRunView>(
                $"api/v1/workflows/runs/{Assert.Single(view.RunIds)}",
                HearthJson.Options
            )
        )!;
        Assert.Equal(("manual", "main"), (run.Variables["TRIGGER"], run.Variables["BRANCH"]));
        var missing = await _admin.PostAsJsonAsync(
            "api/v1/repos/app/trigger",
            new TriggerBody("no-such-branch"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
    }
}
