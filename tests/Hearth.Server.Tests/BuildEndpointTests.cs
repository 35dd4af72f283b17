using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Builds;

namespace Hearth.Server.Tests;

/// <summary>
/// POST /api/v1/builds: refused in one line while no live agent runs the buildah driver, checked field by field, and
/// once a builder is there queued as a command run whose task carries the build to exactly such an agent.
/// </summary>
public sealed class BuildEndpointTests
{
    private static readonly string Context = Convert.ToBase64String([
        0x1f,
        0x8b,
        8,
        0,
        0,
        0,
        0,
        0,
        0,
        3,
        3,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ]);

    private static CreateBuildBody Body(string image = "127.0.0.1:5000/shop/web:c1") =>
        new(image, "FROM busybox\n", Context, new Dictionary<string, string> { ["MODE"] = "prod" }, null, "web");

    private static AgentDriverView Buildah() =>
        new(Builders.Driver, "namespaces", ["host"], false, true, false, false, []);

    [Fact]
    public async Task No_builder_is_a_409_in_one_line_bad_fields_a_400_and_a_builder_gets_the_build_as_a_task()
    {
        await using var server = await TestServer.StartAsync();
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));

        var none = await developer.PostAsJsonAsync("api/v1/builds", Body(), HearthJson.Options);
        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Equal("NO_BUILDER", await TestServer.CodeOf(none));
        var message = (await none.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!.Error;
        Assert.Contains("none runs the buildah driver", message);
        Assert.DoesNotContain("\n", message);

        var bad = await developer.PostAsJsonAsync(
            "api/v1/builds",
            new CreateBuildBody("Not An Image", "", "%%%", new Dictionary<string, string> { ["1x"] = "" }, "bad stage"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var text = await bad.Content.ReadAsStringAsync();
        foreach (var field in new[] { "image:", "dockerfile:", "context:", "args.1x:", "target:" })
            Assert.Contains(field, text);

        var agent = server.Client(server.AgentToken);
        var registered = (
            await (
                await agent.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody(
                        "builder",
                        new Dictionary<string, string> { [Builders.Label] = "true" },
                        1,
                        "test",
                        [Buildah()]
                    ),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var created = await developer.PostAsJsonAsync("api/v1/builds", Body(), HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var run = (await created.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
        Assert.Equal("command", run.Kind);
        Assert.Equal(Builders.Driver, run.Driver);

        var lease = await agent.PostAsJsonAsync(
            "api/v1/agent/lease",
            new LeaseRequest(registered.AgentId, 1, 0.5),
            HearthJson.Options
        );
        var assignment = Assert.Single(
            (await lease.Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options))!.Assignments
        );
        Assert.Equal(run.Id, assignment.RunId);
        Assert.Equal(Builders.Driver, assignment.Sandbox.Driver);
        Assert.Equal(
            new ImageBuildSpec(
                "127.0.0.1:5000/shop/web:c1",
                "FROM busybox\n",
                Context,
                new Dictionary<string, string> { ["MODE"] = "prod" },
                null
            ) with
            {
                Args = assignment.Build!.Args,
            },
            assignment.Build
        );
        Assert.Equal("prod", assignment.Build.Args["MODE"]);
    }

    [Fact]
    public async Task A_role_without_the_buildah_driver_is_refused()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Drivers = o.Drivers.With("developer", ["bubblewrap", "oci"]),
            }
        );
        var developer = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var refused = await developer.PostAsJsonAsync("api/v1/builds", Body(), HearthJson.Options);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("DRIVER_FORBIDDEN", await TestServer.CodeOf(refused));
    }
}
