using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Tests;

/// <summary>The creator owns what it made: runs it started, secrets it created. Others need a role grant.</summary>
public sealed class OwnerRuleTests
{
    [Fact]
    public async Task A_developer_kills_its_own_runs_only()
    {
        await using var server = await TestServer.StartAsync();
        var dev = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var other = server.Client(await server.KeyForAsync("other@example.com", "developer"));
        var run = await (
            await dev.PostAsJsonAsync("api/v1/runs", new CreateRunBody { Command = ["true"] }, HearthJson.Options)
        ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options);
        Assert.Equal("dev@example.com", run!.CreatedBy);

        var refused = await other.PostAsync($"api/v1/runs/{run.Id}/kill", null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("only on runs it created", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Accepted, (await dev.PostAsync($"api/v1/runs/{run.Id}/kill", null)).StatusCode);
    }

    [Fact]
    public async Task Only_admins_and_the_owner_read_a_secret_value()
    {
        await using var server = await TestServer.StartAsync();
        var dev = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var op = server.Client(await server.KeyForAsync("op@example.com", "operator"));
        Assert.Equal(
            HttpStatusCode.Created,
            (
                await dev.PostAsJsonAsync(
                    "api/v1/secrets",
                    new SecretBody("dev-token", "s3cr3t-dev-value", null, null),
                    HearthJson.Options
                )
            ).StatusCode
        );

        var own = await dev.GetFromJsonAsync<SecretValueView>("api/v1/secrets/dev-token", HearthJson.Options);
        Assert.Equal("s3cr3t-dev-value", own!.Value);
        Assert.Equal("DEV_TOKEN", own.EnvName);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync("api/v1/secrets/dev-token")).StatusCode);
        var admin = await server
            .Client(server.AdminKey)
            .GetFromJsonAsync<SecretValueView>("api/v1/secrets/dev-token", HearthJson.Options);
        Assert.Equal("s3cr3t-dev-value", admin!.Value);

        // The owner may update and delete its own; another developer may not.
        var other = server.Client(await server.KeyForAsync("other@example.com", "developer"));
        Assert.Equal(
            HttpStatusCode.Forbidden,
            (
                await other.PutAsJsonAsync(
                    "api/v1/secrets/dev-token",
                    new SecretBody(null, "hijacked", null, null),
                    HearthJson.Options
                )
            ).StatusCode
        );
        Assert.Equal(HttpStatusCode.Forbidden, (await other.DeleteAsync("api/v1/secrets/dev-token")).StatusCode);
        Assert.Equal(
            HttpStatusCode.OK,
            (
                await dev.PutAsJsonAsync(
                    "api/v1/secrets/dev-token",
                    new SecretBody(null, "rotated-value", null, null),
                    HearthJson.Options
                )
            ).StatusCode
        );
        Assert.Equal(
            "rotated-value",
            (await dev.GetFromJsonAsync<SecretValueView>("api/v1/secrets/dev-token", HearthJson.Options))!.Value
        );
        Assert.Equal(HttpStatusCode.OK, (await dev.DeleteAsync("api/v1/secrets/dev-token")).StatusCode);
        var gone = await dev.GetAsync("api/v1/secrets/dev-token");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("SECRET_NOT_FOUND", await TestServer.CodeOf(gone));
    }

    [Fact]
    public async Task A_run_naming_an_unknown_secret_is_refused_before_it_is_created()
    {
        await using var server = await TestServer.StartAsync();
        var dev = server.Client(await server.KeyForAsync("dev@example.com", "developer"));
        var response = await dev.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["true"], Secrets = ["nope"] },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("SECRET_NOT_FOUND", await TestServer.CodeOf(response));
        var runs = await dev.GetFromJsonAsync<RunListView>("api/v1/runs", HearthJson.Options);
        Assert.Empty(runs!.Runs);
    }

    [Fact]
    public async Task A_viewer_cannot_start_runs_nor_use_images()
    {
        await using var server = await TestServer.StartAsync();
        var viewer = server.Client(await server.KeyForAsync("v@example.com", "viewer"));
        var response = await viewer.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Image = "alpine" },
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
