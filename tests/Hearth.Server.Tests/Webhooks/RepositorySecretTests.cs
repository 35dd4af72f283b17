using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Microsoft.Data.Sqlite;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// Secrets in repository-started runs: a step gets a secret only when an admin granted it to the repository, never in a
/// pull request from a fork (GitHub's rule, applied to every forge), and the delivery says why a workflow did not
/// start.
/// </summary>
public sealed class RepositorySecretTests : IAsyncLifetime
{
    private const string HookSecret = "hook-secret-2";
    private const string Workflow = """
        version "0.1"
        triggers {
            push { branches "main" }
            pull_request
        }
        chain {
            machine "ci"
            fragment { run "deploy with $DEPLOY_KEY"; secrets "deploy-key" }
        }
        """;

    private readonly GitFixture _git = new();
    private TestServer _server = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _admin = _server.Client(_server.AdminKey);
        var secret = await _admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("deploy-key", "s3cr3t-value", "DEPLOY_KEY", null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, secret.StatusCode);
        var repo = await _admin.PostAsJsonAsync(
            "api/v1/repos",
            new RepositoryBody("app", "github", _git.Url, HookSecret, Workflows: [".hearth/ci.kdl"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, repo.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _git.Dispose();
    }

    private async Task<(HttpStatusCode Code, DeliveryView View)> DeliverAsync(string eventName, string id, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/github/app")
        {
            Content = new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add(
            "X-Hub-Signature-256",
            "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(HookSecret), bytes))
        );
        var response = await _server.Client().SendAsync(request);
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!);
    }

    private static string Push(string sha) =>
        $$"""{"ref":"refs/heads/main","after":"{{sha}}","deleted":false,"head_commit":{"id":"{{sha}}"},"commits":[]}""";

    private static string PullRequest(string sha, int number, string? headRepo)
    {
        var repo = headRepo is null ? "null" : $"{{\"full_name\":\"{headRepo}\"}}";
        return "{\"action\":\"opened\",\"number\":"
            + number
            + ",\"pull_request\":{\"number\":"
            + number
            + ",\"merged\":false,"
            + "\"head\":{\"ref\":\"feature\",\"sha\":\""
            + sha
            + "\",\"repo\":"
            + repo
            + "},"
            + "\"base\":{\"ref\":\"main\",\"sha\":\""
            + sha
            + "\",\"repo\":{\"full_name\":\"team/app\"}}}}";
    }

    private async Task<string> StepSecretsAsync(string runId)
    {
        await using var connection = new SqliteConnection($"Data Source={_server.StoreFile}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT spec FROM tasks WHERE run_id = @run;";
        command.Parameters.AddWithValue("@run", runId);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Only_a_granted_secret_reaches_a_push_and_never_a_forks_pull_request()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));

        var ungranted = await DeliverAsync("push", "s-1", Push(sha));
        Assert.Equal(HttpStatusCode.Accepted, ungranted.Code);
        Assert.Empty(ungranted.View.RunIds);
        Assert.Matches(
            @"step [\d.]+ names secret deploy-key, which is not granted to repository app "
                + @"\(an admin grants it: hearth repos secrets app --grant deploy-key\)",
            ungranted.View.Outcome
        );

        // Only an admin grants; a secret that does not exist cannot be granted.
        var developer = _server.Client(await _server.KeyForAsync("dev@example.com", "developer"));
        Assert.Equal(
            HttpStatusCode.Forbidden,
            (
                await developer.PutAsJsonAsync(
                    "api/v1/repos/app/secrets",
                    new RepositorySecretsBody(Grant: ["deploy-key"]),
                    HearthJson.Options
                )
            ).StatusCode
        );
        var missing = await _admin.PutAsJsonAsync(
            "api/v1/repos/app/secrets",
            new RepositorySecretsBody(Grant: ["nope"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("SECRET_NOT_FOUND", await TestServer.CodeOf(missing));
        var granted = await _admin.PutAsJsonAsync(
            "api/v1/repos/app/secrets",
            new RepositorySecretsBody(Grant: ["deploy-key"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
        Assert.Equal(
            ["deploy-key"],
            (await granted.Content.ReadFromJsonAsync<RepositoryView>(HearthJson.Options))!.GrantedSecrets!
        );

        var push = await DeliverAsync("push", "s-2", Push(sha));
        Assert.Equal(HttpStatusCode.Created, push.Code);
        Assert.Contains("\"secrets\":[\"deploy-key\"]", await StepSecretsAsync(Assert.Single(push.View.RunIds)));

        // The same workflow for a pull request from the repository itself runs with it; from a fork, or from a head
        // the payload does not place, it does not start at all.
        var own = await DeliverAsync("pull_request", "s-3", PullRequest(sha, 7, "team/app"));
        Assert.Equal(HttpStatusCode.Created, own.Code);
        var fork = await DeliverAsync("pull_request", "s-4", PullRequest(sha, 8, "stranger/app"));
        Assert.Equal(HttpStatusCode.Accepted, fork.Code);
        Assert.Empty(fork.View.RunIds);
        Assert.Matches(
            @"a pull request from a fork is given no secrets \(step [\d.]+ names deploy-key\)",
            fork.View.Outcome
        );
        var unplaced = await DeliverAsync("pull_request", "s-5", PullRequest(sha, 9, headRepo: null));
        Assert.Equal(HttpStatusCode.Accepted, unplaced.Code);
        Assert.Contains("from a fork", unplaced.View.Outcome);

        // Revoked: pushes stop getting it.
        var revoked = await _admin.PutAsJsonAsync(
            "api/v1/repos/app/secrets",
            new RepositorySecretsBody(Revoke: ["deploy-key"]),
            HearthJson.Options
        );
        Assert.Empty((await revoked.Content.ReadFromJsonAsync<RepositoryView>(HearthJson.Options))!.GrantedSecrets!);
        Assert.Equal(HttpStatusCode.Accepted, (await DeliverAsync("push", "s-6", Push(sha))).Code);
    }
}
