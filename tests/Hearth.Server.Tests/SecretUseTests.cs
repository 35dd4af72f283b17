using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests;

/// <summary>
/// Using a secret is reading it (a run can print it): only its creator, admins and the users and roles it allows may
/// name it, on every path that makes tasks with secrets (runs and playbooks, workflows, git secrets).
/// </summary>
public sealed class SecretUseTests
{
    private const string Value = "dev1-s3cret-Value";

    private static WorkflowPlan Plan(string secret) =>
        new()
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
                    "make",
                    null,
                    true,
                    "ci.kdl:3:5",
                    Secrets: [secret]
                ),
            ],
        };

    [Fact]
    public async Task Another_developer_may_not_use_a_secret_until_its_creator_allows_the_user_or_the_role()
    {
        await using var server = await TestServer.StartAsync();
        var dev1 = server.Client(await server.KeyForAsync("dev1@example.com", "developer"));
        var dev2 = server.Client(await server.KeyForAsync("dev2@example.com", "developer"));
        var dev3 = server.Client(await server.KeyForAsync("dev3@example.com", "developer"));
        var op = server.Client(await server.KeyForAsync("op@example.com", "operator"));
        var admin = server.Client(server.AdminKey);
        var created = await dev1.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("dev1-sec", Value, "S", null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = (await created.Content.ReadFromJsonAsync<SecretView>(HearthJson.Options))!;
        Assert.Empty(view.AllowedUsers!);
        Assert.Empty(view.AllowedRoles!);

        var run = new CreateRunBody
        {
            Command = ["sh", "-c", "printf %s \"$S\" | od -An -tx1"],
            Secrets = ["dev1-sec"],
        };
        var gitRun = new CreateRunBody
        {
            Command = ["true"],
            GitRepo = "https://git.example.com/team/app",
            GitSecret = "dev1-sec",
        };
        foreach (var client in new[] { dev2, op })
        {
            var refused = await client.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("SECRET_NOT_ALLOWED", await TestServer.CodeOf(refused));
            Assert.Contains("dev1-sec", await refused.Content.ReadAsStringAsync());
            var workflow = await client.PostAsJsonAsync(
                "api/v1/workflows/runs",
                new CreateWorkflowRunBody(Plan("dev1-sec")),
                HearthJson.Options
            );
            Assert.Equal("SECRET_NOT_ALLOWED", await TestServer.CodeOf(workflow));
            var git = await client.PostAsJsonAsync("api/v1/runs", gitRun, HearthJson.Options);
            Assert.Equal("SECRET_NOT_ALLOWED", await TestServer.CodeOf(git));
        }
        var runs = await admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options);
        Assert.Empty(runs!.Runs);

        // The creator and admins may.
        Assert.Equal(
            HttpStatusCode.Created,
            (await dev1.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options)).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.Created,
            (await admin.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options)).StatusCode
        );

        // dev1 allows dev2 by name: dev2 may, dev3 still may not.
        var byUser = await dev1.PutAsJsonAsync(
            "api/v1/secrets/dev1-sec",
            new SecretBody(null, null, null, null, AllowedUsers: ["dev2@example.com"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, byUser.StatusCode);
        Assert.Equal(
            HttpStatusCode.Created,
            (await dev2.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options)).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.Created,
            (
                await dev2.PostAsJsonAsync(
                    "api/v1/workflows/runs",
                    new CreateWorkflowRunBody(Plan("dev1-sec")),
                    HearthJson.Options
                )
            ).StatusCode
        );
        Assert.Equal(
            "SECRET_NOT_ALLOWED",
            await TestServer.CodeOf(await dev3.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options))
        );

        // Then the developer role: dev3 may; the operator still may not. Updating the value leaves the lists alone.
        await dev1.PutAsJsonAsync(
            "api/v1/secrets/dev1-sec",
            new SecretBody(null, null, null, null, AllowedRoles: ["developer"]),
            HearthJson.Options
        );
        await dev1.PutAsJsonAsync(
            "api/v1/secrets/dev1-sec",
            new SecretBody(null, Value + "2", null, null),
            HearthJson.Options
        );
        Assert.Equal(
            HttpStatusCode.Created,
            (await dev3.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options)).StatusCode
        );
        Assert.Equal(
            "SECRET_NOT_ALLOWED",
            await TestServer.CodeOf(await op.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options))
        );
        var listed = (
            await dev3.GetFromJsonAsync<SecretListView>("api/v1/secrets", HearthJson.Options)
        )!.Secrets.Single();
        Assert.Equal(["dev2@example.com"], listed.AllowedUsers);
        Assert.Equal(["developer"], listed.AllowedRoles);

        // Owner only again: [] empties the lists.
        await dev1.PutAsJsonAsync(
            "api/v1/secrets/dev1-sec",
            new SecretBody(null, null, null, null, AllowedUsers: [], AllowedRoles: []),
            HearthJson.Options
        );
        Assert.Equal(
            "SECRET_NOT_ALLOWED",
            await TestServer.CodeOf(await dev2.PostAsJsonAsync("api/v1/runs", run, HearthJson.Options))
        );
    }

    [Fact]
    public async Task Allowed_users_and_roles_are_validated()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var badUser = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("s1", Value, null, null, AllowedUsers: ["dev/../x"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, badUser.StatusCode);
        Assert.Contains("allowed_users[0]", await badUser.Content.ReadAsStringAsync());
        var badRole = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("s1", Value, null, null, AllowedRoles: ["root"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        var error = (await badRole.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!.Error;
        Assert.StartsWith("allowed_roles[0]: 'root' is not a role", error);
    }
}
