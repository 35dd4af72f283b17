using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Auth;

namespace Hearth.Server.Tests;

public sealed class AuditTests
{
    [Fact]
    public async Task A_given_request_id_is_returned_and_one_is_made_when_missing_or_malformed()
    {
        await using var server = await TestServer.StartAsync();
        var request = new HttpRequestMessage(HttpMethod.Get, "health");
        request.Headers.Add(RequestIdMiddleware.Header, "client-chosen-42");
        var given = await server.Client().SendAsync(request);
        Assert.Equal("client-chosen-42", given.Headers.GetValues(RequestIdMiddleware.Header).Single());

        var made = await server.Client().GetAsync("health");
        Assert.Matches("^[0-9a-f]{24}$", made.Headers.GetValues(RequestIdMiddleware.Header).Single());

        var hostile = new HttpRequestMessage(HttpMethod.Get, "health");
        hostile.Headers.TryAddWithoutValidation(RequestIdMiddleware.Header, "evil\" value; drop");
        var replaced = await server.Client().SendAsync(hostile);
        Assert.Matches("^[0-9a-f]{24}$", replaced.Headers.GetValues(RequestIdMiddleware.Header).Single());
    }

    [Fact]
    public async Task Every_mutating_request_is_recorded_with_actor_action_target_result_and_address()
    {
        await using var server = await TestServer.StartAsync();
        var dev = server.Client(await server.KeyForAsync("dev@example.com", "developer"));

        var create = new HttpRequestMessage(HttpMethod.Post, "api/v1/runs")
        {
            Content = JsonContent.Create(new CreateRunBody { Command = ["true"] }, options: HearthJson.Options),
        };
        create.Headers.Add(RequestIdMiddleware.Header, "trace-me-1");
        var run = await (await dev.SendAsync(create)).Content.ReadFromJsonAsync<RunView>(HearthJson.Options);
        await dev.PostAsJsonAsync(
            "api/v1/secrets",
            new SecretBody("audited", "audited-secret-value", null, null),
            HearthJson.Options
        );
        await dev.PostAsJsonAsync("api/v1/users", new CreateUserBody("x@example.com", "admin"), HearthJson.Options);
        await server.Client("hk_wrong").PostAsync("api/v1/runs/x/kill", null);
        await dev.GetAsync("api/v1/runs");

        var admin = server.Client(server.AdminKey);
        var entries = (
            await admin.GetFromJsonAsync<AuditListView>("api/v1/audit?limit=0", HearthJson.Options)
        )!.Entries;
        Assert.DoesNotContain(entries, e => e.Method == "GET");

        var created = entries.Single(e => e.RequestId == "trace-me-1");
        Assert.Equal(
            ("dev@example.com", "runs.create", run!.Id, 201, "ok", "127.0.0.1"),
            (created.Actor, created.Action, created.Target, created.Status, created.Result, created.ClientAddress)
        );
        Assert.Contains(entries, e =>
            e is { Actor: "dev@example.com", Action: "secrets.create", Target: "audited", Status: 201 }
        );
        Assert.Contains(entries, e =>
            e is { Actor: "dev@example.com", Action: "users.create", Status: 403, Result: "forbidden" }
        );
        Assert.Contains(entries, e =>
            e is { Actor: "anonymous", Action: "runs.kill", Status: 401, Result: "unauthenticated" }
        );
        Assert.Contains(entries, e =>
            e is { Action: "users.claim", Target: "dev@example.com", Path: "/api/v1/claim/***" }
        );
        Assert.DoesNotContain("audited-secret-value", await admin.GetStringAsync("api/v1/audit?limit=0"));

        var byActor = (
            await admin.GetFromJsonAsync<AuditListView>("api/v1/audit?actor=anonymous", HearthJson.Options)
        )!.Entries;
        Assert.All(byActor, e => Assert.Equal("anonymous", e.Actor));
        var future = (
            await admin.GetFromJsonAsync<AuditListView>("api/v1/audit?since=2999-01-01T00:00:00Z", HearthJson.Options)
        )!.Entries;
        Assert.Empty(future);
        var recent = (
            await admin.GetFromJsonAsync<AuditListView>("api/v1/audit?since=1h", HearthJson.Options)
        )!.Entries;
        Assert.Equal(entries.Count + 0, recent.Count);
        var bad = await admin.GetAsync("api/v1/audit?since=yesterday-ish");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var trace = (await admin.GetFromJsonAsync<TraceView>("api/v1/trace/trace-me-1", HearthJson.Options))!;
        Assert.Equal("trace-me-1", Assert.Single(trace.Entries).RequestId);
        Assert.Equal(run.Id, Assert.Single(trace.Runs).Id);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("api/v1/trace/no-such-request")).StatusCode);
    }

    [Fact]
    public async Task Secret_and_user_records_carry_the_requests_that_made_and_changed_them()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var create = new HttpRequestMessage(HttpMethod.Post, "api/v1/secrets")
        {
            Content = JsonContent.Create(
                new SecretBody("tracked", "tracked-value", null, null),
                options: HearthJson.Options
            ),
        };
        create.Headers.Add(RequestIdMiddleware.Header, "made-it");
        await admin.SendAsync(create);
        var update = new HttpRequestMessage(HttpMethod.Put, "api/v1/secrets/tracked")
        {
            Content = JsonContent.Create(
                new SecretBody(null, null, null, "now described"),
                options: HearthJson.Options
            ),
        };
        update.Headers.Add(RequestIdMiddleware.Header, "changed-it");
        await admin.SendAsync(update);
        var secret = (
            await admin.GetFromJsonAsync<SecretListView>("api/v1/secrets", HearthJson.Options)
        )!.Secrets.Single();
        Assert.Equal(
            ("made-it", "changed-it", "now described"),
            (secret.CreatedByRequestId, secret.ModifiedByRequestId, secret.Description)
        );
        var trace = (await admin.GetFromJsonAsync<TraceView>("api/v1/trace/changed-it", HearthJson.Options))!;
        Assert.Equal("tracked", Assert.Single(trace.Secrets).Name);
    }
}
