using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Tests;

/// <summary>
/// Registered images: runs in them get their CPU and memory unless they ask; the default image serves runs that name
/// none.
/// </summary>
public sealed class RegisteredImageTests
{
    [Fact]
    public async Task Runs_get_the_registered_defaults_and_the_default_image()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var registered = await admin.PostAsJsonAsync(
            "api/v1/images",
            new RegisterImageBody("127.0.0.1:5000/tools:1", 1.5, 256L << 20, true),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);

        var named = await CreateAsync(
            admin,
            new CreateRunBody
            {
                Image = "127.0.0.1:5000/tools:1",
                Command = ["true"],
                MemoryBytes = 64L << 20,
            }
        );
        var spec = (await server.Server.Store.GetRunAsync(named.Id, CancellationToken.None))!.Spec;
        // No live agent runs images: the run names no driver and requires an agent that runs images.
        Assert.Equal((1.5, 64L << 20, null), (spec.Cpus!.Value, spec.MemoryBytes!.Value, spec.Driver));
        Assert.Equal("true", spec.Requirements[DriverLabels.Images]);

        var plain = await CreateAsync(admin, new CreateRunBody { Command = ["make"] });
        var defaulted = (await server.Server.Store.GetRunAsync(plain.Id, CancellationToken.None))!.Spec;
        Assert.Equal(("127.0.0.1:5000/tools:1", 256L << 20), (defaulted.Image, defaulted.MemoryBytes!.Value));

        var hostDriver = await CreateAsync(admin, new CreateRunBody { Command = ["make"], Driver = "process" });
        Assert.Null((await server.Server.Store.GetRunAsync(hostDriver.Id, CancellationToken.None))!.Spec.Image);

        var list = await admin.GetFromJsonAsync<RegisteredImageListView>("api/v1/images", HearthJson.Options);
        Assert.True(Assert.Single(list!.Images).Default);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync("api/v1/images/127.0.0.1:5000/tools:1")).StatusCode);
        Assert.Equal(
            HttpStatusCode.NotFound,
            (await admin.DeleteAsync("api/v1/images/127.0.0.1:5000/tools:1")).StatusCode
        );
        var bad = await admin.PostAsJsonAsync(
            "api/v1/images",
            new RegisterImageBody("has space", null, 1024, false),
            HearthJson.Options
        );
        Assert.Equal("INVALID_REQUEST", await TestServer.CodeOf(bad));
    }

    private static async Task<RunView> CreateAsync(HttpClient client, CreateRunBody body)
    {
        var response = await client.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
    }
}
