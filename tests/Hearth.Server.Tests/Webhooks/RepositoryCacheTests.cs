using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Repositories;
using Hearth.Store.Tests;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests.Webhooks;

/// <summary>
/// Deliveries read their repository from memory and leave the repeat check to the transaction that records them: a
/// repository changed or removed (on this server, or on another one sharing the database) is seen by the next delivery,
/// one changed behind the server's back within <see cref="RepositoryService.CacheFor"/>, and a repeated delivery id is
/// still a repeat after a restart, even when its commit can no longer be fetched.
/// </summary>
public sealed class RepositoryCacheTests(PostgresCluster postgres) : IClassFixture<PostgresCluster>, IDisposable
{
    private const string Secret = "hook-secret-1";
    private const string Workflow = """
        version "0.1"
        triggers { push { branches "main" } }
        chain {
            machine "ci"
            fragment { run "echo $COMMIT_SHA" }
        }
        """;

    private readonly GitFixture _git = new();

    public void Dispose() => _git.Dispose();

    private async Task RegisterAsync(TestServer server, string secret = Secret)
    {
        var response = await server
            .Client(server.AdminKey)
            .PostAsJsonAsync(
                "api/v1/repos",
                new RepositoryBody("app", "github", _git.Url, secret, Workflows: [".hearth/ci.kdl"]),
                HearthJson.Options
            );
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> PushAsync(TestServer server, string sha, string id, string secret)
    {
        var body = Encoding.UTF8.GetBytes(
            $$"""{"ref":"refs/heads/main","after":"{{sha}}","head_commit":{"id":"{{sha}}"},"commits":[]}"""
        );
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/webhooks/github/app")
        {
            Content = new ByteArrayContent(body),
        };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add(
            "X-Hub-Signature-256",
            "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body))
        );
        return await server.Client().SendAsync(request);
    }

    private static async Task<DeliveryView> ViewAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<DeliveryView>(HearthJson.Options))!;

    [Fact]
    public async Task A_removed_then_registered_again_repository_is_seen_by_the_next_delivery()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        await using var server = await TestServer.StartAsync();
        await RegisterAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(server, sha, "d-1", Secret)).StatusCode);

        Assert.Equal(
            HttpStatusCode.OK,
            (await server.Client(server.AdminKey).DeleteAsync("api/v1/repos/app")).StatusCode
        );
        Assert.Equal(HttpStatusCode.NotFound, (await PushAsync(server, sha, "d-2", Secret)).StatusCode);

        await RegisterAsync(server, "hook-secret-2");
        Assert.Equal(HttpStatusCode.Unauthorized, (await PushAsync(server, sha, "d-3", Secret)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(server, sha, "d-4", "hook-secret-2")).StatusCode);
    }

    [Fact]
    public async Task A_repository_changed_behind_the_server_is_seen_once_the_cache_time_is_up()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(time: clock);
        await RegisterAsync(server);
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(server, sha, "d-1", Secret)).StatusCode);

        // Not through the API (nothing announces it): what remains in memory answers until the cache time is up.
        await using (var connection = new SqliteConnection($"Data Source={server.StoreFile};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM repositories WHERE name = 'app';";
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(server, sha, "d-2", Secret)).StatusCode);
        clock.Advance(RepositoryService.CacheFor);
        Assert.Equal(HttpStatusCode.NotFound, (await PushAsync(server, sha, "d-3", Secret)).StatusCode);
    }

    [Fact]
    public async Task A_repeated_delivery_id_is_a_repeat_after_a_restart_even_when_its_commit_is_gone()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        var dataDir = Directory.CreateTempSubdirectory("hearth-server-tests-").FullName;
        try
        {
            string runId;
            await using (var first = await TestServer.StartAsync(dataDir: dataDir))
            {
                await RegisterAsync(first);
                var created = await PushAsync(first, sha, "d-1", Secret);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                runId = Assert.Single((await ViewAsync(created)).RunIds);
            }

            await using (var second = await TestServer.StartAsync(dataDir: dataDir))
            {
                var again = await PushAsync(second, sha, "d-1", Secret);
                Assert.Equal(HttpStatusCode.OK, again.StatusCode);
                var repeat = await ViewAsync(again);
                Assert.True(repeat.Duplicate);
                Assert.Equal([runId], repeat.RunIds);
            }

            // The origin and the server's clone of it are gone: the repeat still needs no commit.
            Directory.Delete(_git.Bare, recursive: true);
            Directory.Delete(Path.Combine(dataDir, "git-cache", "app"), recursive: true);
            await using var third = await TestServer.StartAsync(dataDir: dataDir);
            var late = await PushAsync(third, sha, "d-1", Secret);
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
            Assert.Equal([runId], (await ViewAsync(late)).RunIds);
            // A new delivery of that commit cannot be read: 503, so the forge retries.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await PushAsync(third, sha, "d-2", Secret)).StatusCode);
            await using var connection = new SqliteConnection($"Data Source={third.StoreFile};Pooling=false");
            await connection.OpenAsync();
            await using var count = connection.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM runs;";
            Assert.Equal(1L, await count.ExecuteScalarAsync());
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_secret_rotated_on_another_server_is_seen_there_through_the_change_feed()
    {
        var sha = _git.Commit("main", (".hearth/ci.kdl", Workflow));
        var database = await postgres.CreateDatabaseAsync();
        // Clocks that stand still: the cache time never runs out, so only the change feed can make the change seen.
        var start = DateTimeOffset.UtcNow;
        // One secrets key for both, as servers sharing a database have.
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var first = await TestServer.StartAsync(
            o =>
                o with
                {
                    StoreDriver = "postgres",
                    StoreConnectionString = database,
                    Access = o.Access with { SecretsKey = key },
                },
            new FakeTimeProvider(start)
        );
        await using var second = await TestServer.StartAsync(
            o =>
                o with
                {
                    StoreDriver = "postgres",
                    StoreConnectionString = database,
                    Access = o.Access with { SecretsKey = key },
                },
            new FakeTimeProvider(start)
        );
        await RegisterAsync(first);
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(second, sha, "d-1", Secret)).StatusCode);

        var rotated = await first
            .Client(first.AdminKey)
            .PutAsJsonAsync(
                "api/v1/repos/app/secret",
                new RepositorySecretBody("hook-secret-2", KeepPrevious: false),
                HearthJson.Options
            );
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        // The announcement travels asynchronously: the second server refuses the dropped secret once it has heard it.
        var refused = false;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var i = 0; !refused && DateTime.UtcNow < deadline; i++)
            refused = (await PushAsync(second, sha, $"old-{i}", Secret)).StatusCode == HttpStatusCode.Unauthorized;
        Assert.True(refused, "the second server still takes the dropped secret");
        Assert.Equal(HttpStatusCode.Created, (await PushAsync(second, sha, "d-2", "hook-secret-2")).StatusCode);
    }
}
