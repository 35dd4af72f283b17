using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Auth;
using Hearth.Server.Schedules;
using Hearth.Store.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests;

/// <summary>
/// Stored schedules through the API, fired by the scheduler on a fake clock (no sleeping): on time, missed while down
/// (skip and once), as their creator, never twice for one fire time, also with two servers on one PostgreSQL database.
/// </summary>
public sealed class ScheduleTests(PostgresCluster postgres) : IClassFixture<PostgresCluster>, IAsyncLifetime
{
    // 07:59:30 UTC: the next whole hour is 30 s away.
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-12-01T07:59:30Z");
    private readonly FakeTimeProvider _time = new(Start);
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(time: _time);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static CreateScheduleBody Hourly(string name, string missed = "skip") =>
        new()
        {
            Name = name,
            Spec = "0 * * * *",
            Missed = missed,
            Run = new CreateRunBody { Command = ["echo", name], Driver = "bubblewrap" },
        };

    private static async Task<ScheduleView> CreateAsync(HttpClient client, CreateScheduleBody body)
    {
        var response = await client.PostAsJsonAsync("api/v1/schedules", body, HearthJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ScheduleView>(HearthJson.Options))!;
    }

    private static async Task<ScheduleView> GetAsync(HttpClient client, string name) =>
        (await client.GetFromJsonAsync<ScheduleView>($"api/v1/schedules/{name}", HearthJson.Options))!;

    private static Task<IReadOnlyList<string>> TickAsync(TestServer server) =>
        server.Server.Services.GetRequiredService<Scheduler>().TickAsync(CancellationToken.None);

    [Fact]
    public async Task A_schedule_fires_once_at_its_time_as_its_creator()
    {
        var dev = _server.Client(await _server.KeyForAsync("dev@example.com", Roles.Developer));
        var created = await CreateAsync(dev, Hourly("hourly"));
        Assert.Equal(
            ("dev@example.com", "command", "echo hourly", Start.AddSeconds(30)),
            (created.CreatedBy, created.Target, created.Summary, created.NextFireAt)
        );

        Assert.Empty(await TickAsync(_server));
        _time.Advance(TimeSpan.FromSeconds(30));
        // This tick fires it, unless the background loop, woken by the clock, did so first: either way once.
        await TickAsync(_server);
        var fired = (await GetAsync(dev, "hourly")).LastRunId!;
        // The same fire time again (a second pass, or the background loop) makes nothing new.
        Assert.Empty(await TickAsync(_server));

        var run = (await _server.Server.Store.GetRunAsync(fired, CancellationToken.None))!;
        Assert.Equal(("dev@example.com", "bubblewrap"), (run.CreatedBy, run.Spec.Driver));
        Assert.Equal(["echo", "hourly"], run.Spec.Command);
        var view = await GetAsync(dev, "hourly");
        Assert.Equal(
            (fired, Start.AddSeconds(30), Start.AddSeconds(30).AddHours(1)),
            (view.LastRunId, view.LastFiredAt, view.NextFireAt)
        );
        Assert.Single(await _server.Server.Store.ListRunsAsync(new Store.RunQuery([], 0), CancellationToken.None), r =>
            r.CreatedBy == "dev@example.com"
        );

        _time.Advance(TimeSpan.FromHours(1));
        await TickAsync(_server);
        Assert.NotEqual(fired, (await GetAsync(dev, "hourly")).LastRunId);
        Assert.Equal(
            2,
            (await _server.Server.Store.ListRunsAsync(new Store.RunQuery([], 0), CancellationToken.None)).Count(r =>
                r.CreatedBy == "dev@example.com"
            )
        );
    }

    [Fact]
    public async Task Fire_times_missed_while_down_are_skipped_or_run_once()
    {
        var admin = _server.Client(_server.AdminKey);
        await CreateAsync(admin, Hourly("skipper"));
        await CreateAsync(admin, Hourly("catcher", missed: "once"));

        // Nobody ticked for 5 hours and 10 minutes: 08:00 to 12:00 passed, the last 10 minutes ago.
        _time.Advance(TimeSpan.FromHours(4) + TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(30));
        // The tick (or the background loop, woken by the clock, before it) fires the catch-up once.
        await TickAsync(_server);
        Assert.NotNull((await GetAsync(admin, "catcher")).LastRunId);
        Assert.Equal(Start.AddSeconds(30).AddHours(4), (await GetAsync(admin, "catcher")).LastFiredAt);
        var skipped = await GetAsync(admin, "skipper");
        Assert.Equal(((string?)null, Start.AddSeconds(30).AddHours(5)), (skipped.LastRunId, skipped.NextFireAt));
        Assert.Empty(await TickAsync(_server));

        // Back on time: both fire at 13:00.
        _time.Advance(TimeSpan.FromMinutes(50));
        await TickAsync(_server);
        foreach (var name in new[] { "skipper", "catcher" })
            Assert.Equal(Start.AddSeconds(30).AddHours(5), (await GetAsync(admin, name)).LastFiredAt);
    }

    [Fact]
    public async Task A_revoked_creators_schedule_fires_nothing_and_says_why()
    {
        var dev = _server.Client(await _server.KeyForAsync("gone@example.com", Roles.Developer));
        await CreateAsync(dev, Hourly("orphan"));
        var admin = _server.Client(_server.AdminKey);
        Assert.Equal(
            HttpStatusCode.OK,
            (await admin.PostAsync("api/v1/users/gone@example.com/revoke", null)).StatusCode
        );

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Empty(await TickAsync(_server));
        var view = await GetAsync(admin, "orphan");
        Assert.Equal("not fired: its owner gone@example.com was revoked", view.LastError);
        Assert.Null(view.LastRunId);
    }

    [Fact]
    public async Task A_workflow_schedule_starts_a_workflow_run()
    {
        var admin = _server.Client(_server.AdminKey);
        var plan = new WorkflowPlan
        {
            Name = "nightly",
            Source = "ci.kdl",
            Variables = new Dictionary<string, string> { ["TRIGGER"] = "schedule" },
            Steps = [new PlanStep("0", PlanStepKind.Run, null, 0, "m", "echo nightly", null, true, "ci.kdl:4:5")],
        };
        await CreateAsync(
            admin,
            new CreateScheduleBody
            {
                Name = "nightly",
                Spec = "TZ=Europe/Berlin 0 9 * * *",
                Workflow = plan,
            }
        );

        // 09:00 in Berlin is 08:00Z in December.
        _time.Advance(TimeSpan.FromSeconds(30));
        await TickAsync(_server);
        var fired = (await GetAsync(admin, "nightly")).LastRunId!;
        var run = (await _server.Server.Store.GetRunAsync(fired, CancellationToken.None))!;
        Assert.Equal((RunKinds.Workflow, "nightly", "admin"), (run.Kind, run.Plan!.Name, run.CreatedBy));
    }

    [Theory]
    [InlineData(
        "{\"name\":\"x\",\"spec\":\"0 24 * * *\",\"run\":{\"command\":[\"true\"]}}",
        "spec: Hours field (field 2 of 5) '24'"
    )]
    [InlineData(
        "{\"name\":\"x\",\"spec\":\"@daily\",\"time_zone\":\"Mars/Base\",\"run\":{\"command\":[\"true\"]}}",
        "time_zone: time zone 'Mars/Base'"
    )]
    [InlineData(
        "{\"name\":\"x\",\"spec\":\"@daily\",\"missed\":\"all\",\"run\":{\"command\":[\"true\"]}}",
        "missed: expected skip or once, got 'all'"
    )]
    [InlineData("{\"name\":\"x\",\"spec\":\"@daily\"}", "workflow, run: give exactly one")]
    [InlineData(
        "{\"name\":\"bad name\",\"spec\":\"@daily\",\"run\":{\"command\":[\"true\"]}}",
        "name: expected a schedule name"
    )]
    [InlineData("{\"name\":\"x\",\"spec\":\"@daily\",\"run\":{\"command\":[]}}", "run.command: must name a program")]
    public async Task Bad_requests_are_refused_naming_the_field(string json, string message)
    {
        var response = await _server
            .Client(_server.AdminKey)
            .PostAsync("api/v1/schedules", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(
            message,
            (await response.Content.ReadFromJsonAsync<ErrorView>(HearthJson.Options))!.Error,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public async Task A_developer_may_not_schedule_what_it_may_not_run_and_removes_only_its_own()
    {
        var dev = _server.Client(await _server.KeyForAsync("dev2@example.com", Roles.Developer));
        var process = Hourly("unsandboxed") with
        {
            Run = new CreateRunBody { Command = ["id"], Driver = "process" },
        };
        var refused = await dev.PostAsJsonAsync("api/v1/schedules", process, HearthJson.Options);
        Assert.Equal(
            (HttpStatusCode.Forbidden, "DRIVER_FORBIDDEN"),
            (refused.StatusCode, await TestServer.CodeOf(refused))
        );

        await CreateAsync(_server.Client(_server.AdminKey), Hourly("admins"));
        Assert.Equal(HttpStatusCode.Forbidden, (await dev.DeleteAsync("api/v1/schedules/admins")).StatusCode);
        await CreateAsync(dev, Hourly("mine"));
        Assert.Equal(
            HttpStatusCode.Conflict,
            (await dev.PostAsJsonAsync("api/v1/schedules", Hourly("mine"), HearthJson.Options)).StatusCode
        );
        Assert.Equal(HttpStatusCode.OK, (await dev.DeleteAsync("api/v1/schedules/mine")).StatusCode);
        Assert.Equal(
            ["admins"],
            (await dev.GetFromJsonAsync<ScheduleListView>("api/v1/schedules", HearthJson.Options))!.Schedules.Select(
                s => s.Name
            )
        );
    }

    [Fact]
    public async Task Two_servers_on_one_postgres_database_fire_a_time_once()
    {
        var database = await postgres.CreateDatabaseAsync();
        var clocks = new[] { new FakeTimeProvider(Start), new FakeTimeProvider(Start) };
        await using var first = await TestServer.StartAsync(
            o => o with { StoreDriver = "postgres", StoreConnectionString = database },
            clocks[0]
        );
        await using var second = await TestServer.StartAsync(
            o => o with { StoreDriver = "postgres", StoreConnectionString = database },
            clocks[1]
        );
        await CreateAsync(first.Client(first.AdminKey), Hourly("shared") with { Spec = "* * * * *" });

        var fired = new List<string>();
        for (var minute = 1; minute <= 5; minute++)
        {
            foreach (var clock in clocks)
                clock.Advance(TimeSpan.FromMinutes(1));
            // Both servers pass at once, each also woken by its clock in the background.
            var passes = await Task.WhenAll(TickAsync(first), TickAsync(second), TickAsync(first), TickAsync(second));
            fired.AddRange(passes.SelectMany(p => p).Distinct());
        }

        var runs = (await first.Server.Store.ListRunsAsync(new Store.RunQuery([], 0), CancellationToken.None))
            .Where(r => r.Spec.Command.SequenceEqual(["echo", "shared"]))
            .ToList();
        Assert.Equal(5, runs.Count);
        Assert.Equal(runs.Select(r => r.Id).Order(), fired.Distinct().Order());
    }
}
