using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store.Tests;

namespace Hearth.Server.Tests;

/// <summary>
/// A task keeps the secret values it was given, encrypted: another server sharing the database masks its lines with
/// exactly those values, even after the secret was changed and the server that handed out the lease is gone.
/// </summary>
public sealed class TaskMaskTests(PostgresCluster postgres) : IClassFixture<PostgresCluster>
{
    private const string Given = "st3p-s3cret-Given!";
    private const string Rotated = "r0tated-Value-Later";

    [Fact]
    public async Task A_steps_secret_is_masked_by_a_second_server_after_the_first_is_gone_and_the_secret_changed()
    {
        var connectionString = await postgres.CreateDatabaseAsync();
        var dataDir = Directory.CreateTempSubdirectory("hearth-mask-").FullName;
        ServerOptions Shared(ServerOptions o) =>
            o with
            {
                StoreDriver = "postgres",
                StoreConnectionString = connectionString,
            };
        string adminKey,
            agentToken,
            runId;
        Assignment lease;
        await using (var first = await TestServer.StartAsync(Shared, dataDir: dataDir))
        {
            adminKey = first.AdminKey;
            agentToken = first.AgentToken;
            var admin = first.Client(adminKey);
            Assert.Equal(
                HttpStatusCode.Created,
                (
                    await admin.PostAsJsonAsync(
                        "api/v1/secrets",
                        new SecretBody("deploy-token", Given, "TOKEN", null),
                        HearthJson.Options
                    )
                ).StatusCode
            );
            var plan = new WorkflowPlan
            {
                Name = "ci.kdl",
                Source = "ci.kdl",
                Steps =
                [
                    new PlanStep(
                        "0",
                        PlanStepKind.Run,
                        null,
                        0,
                        "build",
                        "echo $TOKEN",
                        null,
                        true,
                        "ci.kdl:3:5",
                        Secrets: ["deploy-token"]
                    ),
                ],
            };
            var created = await admin.PostAsJsonAsync(
                "api/v1/workflows/runs",
                new CreateWorkflowRunBody(plan),
                HearthJson.Options
            );
            runId = (await created.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id;
            var agent = first.Client(first.AgentToken);
            var registered = (
                await (
                    await agent.PostAsJsonAsync(
                        "api/v1/agent/register",
                        new RegisterAgentBody("a1", new() { ["machine"] = "build" }, 1, "test"),
                        HearthJson.Options
                    )
                ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
            )!;
            var leased = await agent.PostAsJsonAsync(
                "api/v1/agent/lease",
                new LeaseRequest(registered.AgentId, 1, 5),
                HearthJson.Options
            );
            lease = (await leased.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments.Single();
            Assert.Equal(Given, lease.SecretEnv["TOKEN"]);
        }

        await using var second = await TestServer.StartAsync(Shared, dataDir: dataDir);
        var viaSecond = second.Client(adminKey);
        var updated = await viaSecond.PutAsJsonAsync(
            "api/v1/secrets/deploy-token",
            new SecretBody(null, Rotated, null, null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);

        // The agent's lines reach the second server unmasked (as an agent that does not mask would send them).
        var lines = new List<AgentLogLine>
        {
            new(DateTimeOffset.UtcNow, LogStream.Stdout, $"token is {Given}"),
            new(
                DateTimeOffset.UtcNow,
                LogStream.Stderr,
                $"base64 {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Given))}"
            ),
        };
        var shipped = await second
            .Client(agentToken)
            .PostAsJsonAsync(
                $"api/v1/agent/tasks/{lease.TaskId}/logs",
                new LogChunkBody(lease.Epoch, 0, lines),
                HearthJson.Options
            );
        Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);

        var page = (await viaSecond.GetFromJsonAsync<LogPageView>($"api/v1/runs/{runId}/logs", HearthJson.Options))!;
        Assert.Equal(["token is ***", "base64 ***"], page.Lines.Select(l => l.Text));
        Assert.DoesNotContain(page.Lines, l => l.Text.Contains(Given, StringComparison.Ordinal));
        Directory.Delete(dataDir, recursive: true);
    }

    [Fact]
    public async Task The_values_are_stored_encrypted_never_in_clear()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("token", Given, "TOKEN", null),
            HearthJson.Options
        );
        await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["true"], Secrets = ["token"] },
            HearthJson.Options
        );
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("a1", [], 1, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var lease = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(registered.AgentId, 1, 5),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();

        var kept = await server.Server.Store.GetSecretMaskAsync(lease.TaskId, CancellationToken.None);

        Assert.NotNull(kept);
        Assert.DoesNotContain(Given, kept);
        Assert.True(
            server.StoreBytes().AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(Given)) < 0,
            "the value is in the store file in clear"
        );
    }
}
