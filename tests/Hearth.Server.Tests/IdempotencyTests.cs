using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Store.Tests;

namespace Hearth.Server.Tests;

/// <summary>
/// Idempotency keys on the one creation path: the same key (per user) returns the same run, never a second one.
/// </summary>
public sealed class IdempotencyTests(PostgresCluster postgres) : IClassFixture<PostgresCluster>
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    private async Task<TestServer> StartAsync(string store, string? dataDir = null, string? connectionString = null)
    {
        if (store == "sqlite")
            return await TestServer.StartAsync(dataDir: dataDir);
        connectionString ??= await postgres.CreateDatabaseAsync();
        return await TestServer.StartAsync(
            o => o with { StoreDriver = "postgres", StoreConnectionString = connectionString },
            dataDir: dataDir
        );
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task The_same_key_returns_the_first_run_with_200_and_creates_nothing(string store)
    {
        await using var server = await StartAsync(store);
        var admin = server.Client(server.AdminKey);

        var first = await PostAsync(
            admin,
            "api/v1/runs",
            """{"command": ["echo", "hi"], "env": {"A": "1"}}""",
            "deploy-42"
        );
        var again = await PostAsync(
            admin,
            "api/v1/runs",
            """{ "env": {"A":"1"},"command":["echo","hi"] }""",
            "deploy-42"
        );

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var id = (await first.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id;
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id);
        Assert.Equal(
            [id],
            (await admin.GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options))!.Runs.Select(r => r.Id)
        );
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task A_key_reused_with_another_request_is_409_IDEMPOTENCY_KEY_REUSED_naming_the_first_run(string store)
    {
        await using var server = await StartAsync(store);
        var admin = server.Client(server.AdminKey);
        var first = await PostAsync(admin, "api/v1/runs", """{"command": ["echo", "hi"]}""", "k1");
        var id = (await first.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id;

        var reused = await PostAsync(admin, "api/v1/runs", """{"command": ["echo", "bye"]}""", "k1");

        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        var error = JsonDocument.Parse(await reused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("IDEMPOTENCY_KEY_REUSED", error.GetProperty("code").GetString());
        Assert.Equal(id, error.GetProperty("details").GetProperty("run_id").GetString());
        Assert.Equal("k1", error.GetProperty("details").GetProperty("idempotency_key").GetString());
        Assert.Contains(
            $"idempotency key 'k1' was already used for another request (run {id})",
            error.GetProperty("error").GetString()
        );
        Assert.Single((await admin.GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options))!.Runs);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Concurrent_requests_with_one_key_create_one_run(string store)
    {
        await using var server = await StartAsync(store);
        var admin = server.Client(server.AdminKey);

        var answers = await Task.WhenAll(
            Enumerable.Range(0, 12).Select(_ => PostAsync(admin, "api/v1/runs", """{"command": ["true"]}""", "burst"))
        );

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(11, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        var ids = await Task.WhenAll(
            answers.Select(async a => (await a.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id)
        );
        Assert.Single(ids.Distinct());
        Assert.Single((await admin.GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options))!.Runs);
    }

    [Fact]
    public async Task A_key_is_per_user_and_the_body_field_works_as_the_header_does()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));

        var mine = await PostAsync(
            admin,
            "api/v1/runs",
            """{"command": ["true"], "idempotency_key": "nightly"}""",
            null
        );
        var mineAgain = await PostAsync(admin, "api/v1/runs", """{"command": ["true"]}""", "nightly");
        var theirs = await PostAsync(
            developer,
            "api/v1/runs",
            """{"command": ["true"], "idempotency_key": "nightly"}""",
            null
        );

        Assert.Equal(
            (HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Created),
            (mine.StatusCode, mineAgain.StatusCode, theirs.StatusCode)
        );
        var ids = await Task.WhenAll(
            new[] { mine, mineAgain, theirs }.Select(async a =>
                (await a.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id
            )
        );
        Assert.Equal(ids[0], ids[1]);
        Assert.NotEqual(ids[0], ids[2]);
    }

    [Theory]
    [InlineData(
        """{"command": ["true"], "idempotency_key": "a"}""",
        "b",
        "Idempotency-Key ('b') and idempotency_key ('a') differ; send one of them"
    )]
    [InlineData(
        """{"command": ["true"]}""",
        "has space",
        "Idempotency-Key: expected 1 to 255 printable ASCII characters without spaces"
    )]
    [InlineData(
        """{"command": ["true"], "idempotency_key": ""}""",
        null,
        "idempotency_key: expected 1 to 255 printable ASCII characters without spaces"
    )]
    public async Task A_bad_or_conflicting_key_is_a_400_naming_it(string body, string? header, string expected)
    {
        await using var server = await TestServer.StartAsync();
        var response = await PostAsync(server.Client(server.AdminKey), "api/v1/runs", body, header);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            expected,
            JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()
        );
    }

    [Fact]
    public async Task A_key_survives_a_server_restart_and_workflow_runs_take_keys_too()
    {
        var dataDir = Directory.CreateTempSubdirectory("hearth-idem-").FullName;
        var workflow = JsonSerializer.Serialize(
            new CreateWorkflowRunBody(
                new WorkflowPlan
                {
                    Name = "build.kdl",
                    Source = "build.kdl",
                    Steps =
                    [
                        new PlanStep("0", PlanStepKind.Run, null, 0, "build", "make", null, true, "build.kdl:2:5"),
                    ],
                }
            ),
            HearthJson.Options.TypeInfo<CreateWorkflowRunBody>()
        );
        string runId,
            workflowId,
            adminKey;
        await using (var server = await TestServer.StartAsync(dataDir: dataDir))
        {
            adminKey = server.AdminKey;
            var admin = server.Client(adminKey);
            runId = (
                await (
                    await PostAsync(admin, "api/v1/runs", """{"command": ["true"]}""", "once")
                ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
            )!.Id;
            workflowId = (
                await (
                    await PostAsync(admin, "api/v1/workflows/runs", workflow, "wf-once")
                ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options)
            )!.Id;
        }
        await using (var restarted = await TestServer.StartAsync(dataDir: dataDir))
        {
            var admin = restarted.Client(adminKey);
            var again = await PostAsync(admin, "api/v1/runs", """{"command": ["true"]}""", "once");
            var workflowAgain = await PostAsync(admin, "api/v1/workflows/runs", workflow, "wf-once");

            Assert.Equal(
                (HttpStatusCode.OK, runId),
                (again.StatusCode, (await again.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id)
            );
            Assert.Equal(
                (HttpStatusCode.OK, workflowId),
                (
                    workflowAgain.StatusCode,
                    (await workflowAgain.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id
                )
            );
            var sameKeyOtherDoor = await PostAsync(admin, "api/v1/workflows/runs", workflow, "once");
            Assert.Equal("IDEMPOTENCY_KEY_REUSED", await TestServer.CodeOf(sameKeyOtherDoor));
        }
        Directory.Delete(dataDir, recursive: true);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
            request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }
}
