using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;

namespace Hearth.Server.Tests;

/// <summary>
/// Which roles may ask for which drivers, through the HTTP API: process (unsandboxed) is an admin's unless server.yaml
/// says otherwise, and a task naming no driver never lands on an agent's process default for a role that may not use
/// it.
/// </summary>
public sealed class DriverPolicyTests
{
    private static WorkflowPlan Plan() =>
        new()
        {
            Name = "build.kdl",
            Source = "build.kdl",
            Steps = [new PlanStep("0", PlanStepKind.Run, null, 0, "build", "make", null, true, "build.kdl:2:5")],
        };

    [Fact]
    public async Task A_developer_asking_for_the_process_driver_gets_403_and_nothing_is_queued()
    {
        await using var server = await TestServer.StartAsync();
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));

        var refused = await developer.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["id"], Driver = "process" },
            HearthJson.Options
        );

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("DRIVER_FORBIDDEN", await TestServer.CodeOf(refused));
        var error = System
            .Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync())
            .RootElement.GetProperty("error")
            .GetString();
        Assert.Equal(
            "role 'developer' may not use the process driver (it runs commands unsandboxed on the agent's host); "
                + "allowed: bubblewrap, oci, microvm, buildah",
            error
        );
        var runs = (
            await server.Client(server.AdminKey).GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options)
        )!;
        Assert.Empty(runs.Runs);

        var sandboxed = await developer.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["id"], Driver = "bubblewrap" },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, sandboxed.StatusCode);
    }

    [Fact]
    public async Task A_developers_task_without_a_driver_goes_only_to_an_agent_that_sandboxes_it()
    {
        await using var server = await TestServer.StartAsync();
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var created = await developer.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["id"] },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("bubblewrap", (await created.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Driver);

        // An agent whose only driver is process (its default) is offered nothing; one with bubblewrap gets the task,
        // pinned.
        Assert.Null(
            await LeaseAsync(server, "host-only", new() { ["driver.process"] = "true", ["driver.default"] = "process" })
        );
        var lease = await LeaseAsync(
            server,
            "sandboxing",
            new() { ["driver.bubblewrap"] = "true", ["driver.default"] = "bubblewrap" }
        );
        Assert.NotNull(lease);
        Assert.Equal("bubblewrap", lease.Sandbox.Driver);
    }

    [Fact]
    public async Task An_admins_task_without_a_driver_keeps_the_agents_default()
    {
        await using var server = await TestServer.StartAsync();
        var created = await server
            .Client(server.AdminKey)
            .PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["id"] }, HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var lease = await LeaseAsync(
            server,
            "host-only",
            new() { ["driver.process"] = "true", ["driver.default"] = "process" }
        );
        Assert.NotNull(lease);
        Assert.Null(lease.Sandbox.Driver);
    }

    [Fact]
    public async Task A_developers_workflow_steps_are_pinned_to_a_sandbox()
    {
        await using var server = await TestServer.StartAsync();
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var created = await developer.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan()),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        Assert.Null(
            await LeaseAsync(
                server,
                "host-only",
                new()
                {
                    ["machine"] = "build",
                    ["driver.process"] = "true",
                    ["driver.default"] = "process",
                }
            )
        );
        var lease = await LeaseAsync(
            server,
            "sandboxing",
            new() { ["machine"] = "build", ["driver.bubblewrap"] = "true" }
        );
        Assert.NotNull(lease);
        // Pinned: the host-only agent above was offered nothing (the step requires driver.bubblewrap), and the step
        // names it.
        Assert.Equal("bubblewrap", lease.Sandbox.Driver);
    }

    [Fact]
    public async Task Server_yaml_decides_which_drivers_a_role_may_use()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("hearth-drivers-").FullName, "server.yaml");
        await File.WriteAllTextAsync(
            config,
            """
            drivers:
              developer: [bubblewrap, process]
              operator: oci
            """
        );
        var options = ServerConfigLoader.Load(config, new Dictionary<string, string?>());
        Assert.Equal(["bubblewrap", "process"], options.Drivers.For("developer"));
        await using var server = await TestServer.StartAsync(o => o with { Drivers = options.Drivers });

        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var host = await developer.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["id"], Driver = "process" },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, host.StatusCode);

        var op = server.Client(await server.KeyForAsync("op@example.com", "operator"));
        var bare = await op.PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["id"] }, HearthJson.Options);
        Assert.Equal(HttpStatusCode.Forbidden, bare.StatusCode);
        Assert.Equal("DRIVER_REQUIRED", await TestServer.CodeOf(bare));
        var workflow = await op.PostAsJsonAsync(
            "api/v1/workflows/runs",
            new CreateWorkflowRunBody(Plan()),
            HearthJson.Options
        );
        Assert.Equal("DRIVER_REQUIRED", await TestServer.CodeOf(workflow));
        var wrong = await op.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["id"], Driver = "bubblewrap" },
            HearthJson.Options
        );
        Assert.Equal("DRIVER_FORBIDDEN", await TestServer.CodeOf(wrong));
    }

    [Fact]
    public async Task A_driver_list_naming_no_driver_is_refused_with_the_line()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("hearth-drivers-").FullName, "server.yaml");
        await File.WriteAllTextAsync(config, "drivers:\n  developer: bubblewrap, docker\n");
        var error = Assert.Throws<ConfigException>(() =>
            ServerConfigLoader.Load(config, new Dictionary<string, string?>())
        );
        Assert.Equal(
            $"{config}:2:3: drivers.developer: 'docker' is not a driver (expected some of process, bubblewrap, oci, microvm, buildah)",
            error.Message
        );
    }

    /// <summary>Registers an agent with these labels and polls once briefly; null when nothing was offered.</summary>
    private static async Task<Assignment?> LeaseAsync(TestServer server, string name, Dictionary<string, string> labels)
    {
        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody(name, labels, 1, "test"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var response = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered.AgentId, 1, 0.5),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (
            await response.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.SingleOrDefault();
    }
}
