using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Server.Tests;

/// <summary>
/// Secrets scoped to repositories: workflow steps and runs get them only when they come from a matching repository.
/// </summary>
public sealed class SecretScopeTests
{
    private const string Value = "scoped-s3cret-Value";

    private static WorkflowPlan Plan(string? repository) =>
        new()
        {
            Name = "deploy.kdl",
            Source = "deploy.kdl",
            Repository = repository,
            Steps =
            [
                new PlanStep(
                    "0",
                    PlanStepKind.Run,
                    null,
                    0,
                    "deploy",
                    "./deploy.sh",
                    null,
                    true,
                    "deploy.kdl:5:5",
                    Secrets: ["deploy-key"]
                ),
            ],
        };

    [Fact]
    public async Task A_scoped_secret_reaches_a_workflow_step_only_from_a_matching_repository()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var created = await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("deploy-key", Value, null, null, ["https://git.example.com/team/*"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var view = (await created.Content.ReadFromJsonAsync<SecretView>(HearthJson.Options))!;
        Assert.Equal(["https://git.example.com/team/*"], view.Repositories);

        var elsewhere = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan("https://git.example.com/other/app")),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal("SECRET_OUT_OF_SCOPE", await TestServer.CodeOf(elsewhere));
        var unnamed = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan(null)),
            HearthJson.Options
        );
        Assert.Equal("SECRET_OUT_OF_SCOPE", await TestServer.CodeOf(unnamed));
        var adHoc = await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["true"], Secrets = ["deploy-key"] },
            HearthJson.Options
        );
        Assert.Equal("SECRET_OUT_OF_SCOPE", await TestServer.CodeOf(adHoc));

        var matching = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan("https://git.example.com/team/app")),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, matching.StatusCode);

        // The step's lease carries the value; nothing else does.
        var agent = server.Client(server.AgentToken);
        var registered = await (
            await agent.PostAsJsonAsync(
                "api/v1/agent/register",
                new RegisterAgentBody("d1", new Dictionary<string, string> { ["machine"] = "deploy" }, 1, "test"),
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options);
        var lease = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(registered!.AgentId, 1, 5),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();
        Assert.Equal(new Dictionary<string, string> { ["DEPLOY_KEY"] = Value }, lease.SecretEnv);
        Assert.Equal([Value], lease.Mask);
        // The step runs the script from a checkout of the workflow's repository, not from wherever the caller says.
        Assert.Equal("https://git.example.com/team/app", lease.Git!.Repository);
    }

    [Fact]
    public async Task A_scoped_secret_is_never_given_to_a_command_line_the_caller_wrote_next_to_the_right_url()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("deploy-key", Value, null, null, ["https://git.example.com/team/*"]),
            HearthJson.Options
        );
        const string repo = "https://git.example.com/team/app";
        CreateRunBody Run(params string[] command) =>
            new()
            {
                Command = command,
                Secrets = ["deploy-key"],
                GitRepo = repo,
            };

        foreach (
            var body in new[]
            {
                Run("sh", "-c", "printf %s \"$DEPLOY_KEY\" | od -An -tx1"),
                Run("env"),
                Run("/usr/bin/env"),
                Run("./deploy.sh", "prod") with
                {
                    Image = "alpine",
                },
                Run("./deploy.sh", "prod") with
                {
                    Env = new() { ["BASH_ENV"] = "$(env >&2)" },
                },
                Run("./deploy.sh", "prod") with
                {
                    Env = new() { ["LD_PRELOAD"] = "/tmp/x.so" },
                },
                Run("sh", "-c", "./deploy.sh; env"),
                Run("../deploy.sh"),
            }
        )
        {
            var refused = await admin.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("SECRET_OUT_OF_SCOPE", await TestServer.CodeOf(refused));
        }
        var step = Plan(repo).Steps[0];
        var dumping = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan(repo) with { Steps = [step with { Run = "echo $DEPLOY_KEY | base64" }] }),
            HearthJson.Options
        );
        Assert.Equal("SECRET_OUT_OF_SCOPE", await TestServer.CodeOf(dumping));

        // A script of the checkout (as a playbook in the repository runs it: sh -c with only the script) is given it.
        foreach (
            var body in new[]
            {
                Run("./deploy.sh", "prod"),
                Run("sh", "-c", "./ci/deploy.sh prod --fast") with
                {
                    Env = new() { ["STAGE"] = "prod" },
                },
            }
        )
            Assert.Equal(
                HttpStatusCode.Created,
                (await admin.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options)).StatusCode
            );
    }

    [Fact]
    public async Task An_unscoped_secret_serves_any_run_and_a_scope_can_be_set_later()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        await admin.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("deploy-key", Value, null, null),
            HearthJson.Options
        );
        var open = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan(null)),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, open.StatusCode);

        var scoped = await admin.PutAsJsonAsync(
            "api/v1/secrets/deploy-key",
            new SecretBody(null, null, null, null, ["https://git.example.com/team/app"]),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, scoped.StatusCode);
        var refused = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan(null)),
            HearthJson.Options
        );
        Assert.Equal("SECRET_OUT_OF_SCOPE", await TestServer.CodeOf(refused));

        var missing = await admin.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan("x") with { Steps = [Plan("x").Steps[0] with { Secrets = ["nope"] }] }),
            HearthJson.Options
        );
        Assert.Equal("SECRET_NOT_FOUND", await TestServer.CodeOf(missing));
    }
}
