using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Names;

namespace Hearth.Server.Tests;

/// <summary>
/// One grammar per kind of name, at the API: a name that could not be looked up, released or deleted afterwards (a '/'
/// in a route segment, '..' that URLs fold away) is refused when it is made; every name accepted can be managed.
/// </summary>
public sealed class NameGrammarTests
{
    [Fact]
    public async Task Lock_names_with_a_slash_or_dots_are_refused_and_an_accepted_one_can_be_looked_up_and_released()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        foreach (var name in new[] { "deploy/prod", "../x", "a..b", ".hidden", "with space", "tab\t" })
        {
            var refused = await admin.PostAsJsonAsync(
                "api/v1/runs",
                new CreateRunBody { Command = ["true"], Lock = name },
                HearthJson.Options
            );
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(
                "is not a lock name",
                (await refused.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!.Error
            );
        }
        var workflow = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(
                new Core.Runs.WorkflowPlan
                {
                    Name = "w",
                    Source = "w.kdl",
                    Steps =
                    [
                        new Core.Runs.PlanStep(
                            "0",
                            Core.Runs.PlanStepKind.Run,
                            null,
                            0,
                            "m",
                            "true",
                            null,
                            true,
                            "w.kdl:1:1",
                            Lock: "a/../b"
                        ),
                    ],
                }
            ),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, workflow.StatusCode);

        const string good = "deploy:prod.v2_x-1";
        var run = await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["true"], Lock = good },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, run.StatusCode);
        var status = await admin.GetFromJsonAsync<LockView>(
            $"api/v1/locks/{Uri.EscapeDataString(good)}",
            HearthJson.Options
        );
        Assert.Equal(good, status!.Name);
        var released = await admin.PostAsJsonAsync(
            $"api/v1/locks/{Uri.EscapeDataString(good)}/release",
            new ReleaseLockBody(true),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
    }

    [Fact]
    public async Task An_image_reference_that_is_a_path_is_refused_and_an_accepted_one_can_be_unregistered()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        foreach (
            var image in new[] { "../../bad", "a/../b", "/abs/path", "Upper/Case", "x:tag with space", "alpine\0" }
        )
        {
            var refused = await admin.PostAsJsonAsync(
                "api/v1/images",
                new RegisterImageBody(image, null, null, Default: true),
                HearthJson.Options
            );
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(
                "is not an image reference",
                (await refused.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!.Error
            );
        }
        var images = await admin.GetFromJsonAsync<RegisteredImageListView>("api/v1/images", HearthJson.Options);
        Assert.Empty(images!.Images);
        var badRun = await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Image = "../../bad" },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, badRun.StatusCode);

        foreach (
            var image in new[] { "127.0.0.1:5000/tools:1", "alpine", "ghcr.io/org/app@sha256:" + new string('a', 64) }
        )
        {
            Assert.Equal(
                HttpStatusCode.Created,
                (
                    await admin.PostAsJsonAsync(
                        "api/v1/images",
                        new RegisterImageBody(image, null, null, false),
                        HearthJson.Options
                    )
                ).StatusCode
            );
            var removed = await admin.DeleteAsync($"api/v1/images/{image}");
            Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        }
    }

    [Fact]
    public async Task Secret_names_and_user_emails_follow_their_grammar_and_accepted_ones_can_be_managed()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        foreach (var name in new[] { "a..b", "a/b", "-x", "" })
        {
            var refused = await admin.PostAsJsonAsync(
                "api/v1/secrets",
                new SecretBody(name, "value-123", "V", null),
                HearthJson.Options
            );
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        Assert.Equal(
            HttpStatusCode.Created,
            (
                await admin.PostAsJsonAsync(
                    "api/v1/secrets",
                    new SecretBody("db.pass-v2_x", "value-123", "V", null),
                    HearthJson.Options
                )
            ).StatusCode
        );
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("api/v1/secrets/db.pass-v2_x")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("api/v1/secrets/db.pass-v2_x")).StatusCode);

        foreach (
            var email in new[] { "a/b@example.com", "../x@example.com", "no-at-sign", "x@exa mple.com", "x@-bad.com" }
        )
        {
            var refused = await admin.PostAsJsonAsync(
                "api/v1/users",
                new CreateUserBody(email, "developer"),
                HearthJson.Options
            );
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(
                "is not a user email",
                (await refused.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!.Error
            );
        }
        Assert.Equal(
            HttpStatusCode.Created,
            (
                await admin.PostAsJsonAsync(
                    "api/v1/users",
                    new CreateUserBody("dev+ci.bot@example.co.uk", "developer"),
                    HearthJson.Options
                )
            ).StatusCode
        );
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await admin.PostAsync($"api/v1/users/{Uri.EscapeDataString("dev+ci.bot@example.co.uk")}/revoke", null)
            ).StatusCode
        );
    }

    [Theory]
    [InlineData("deploy-prod", true)]
    [InlineData("db:migrations", true)]
    [InlineData("a/b", false)]
    [InlineData("a..b", false)]
    [InlineData("", false)]
    public void The_lock_grammar_is_one_place(string name, bool valid)
    {
        Assert.Equal(valid, Names.Lock.IsValid(name));
        Assert.Equal(valid, Core.Locks.LockNames.IsValid(name));
    }
}
