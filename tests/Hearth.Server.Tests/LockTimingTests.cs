using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Server.Tests;

/// <summary>hearth_lock_wait_seconds and hearth_lock_hold_seconds: one observation per grant and per release.</summary>
public sealed class LockTimingTests
{
    [Fact]
    public async Task Lock_waits_and_holds_are_histograms_recorded_at_grant_and_release()
    {
        await using var server = await TestServer.StartAsync();
        var name = "hist-" + Guid.NewGuid().ToString("N")[..8];
        var admin = server.Client(server.AdminKey);
        var first = await (
            await admin.PostAsJsonAsync(
                "api/v1/runs",
                new CreateRunBody { Command = ["true"], Lock = name },
                HearthJson.Options
            )
        ).Content.ReadFromJsonAsync<RunView>(HearthJson.Options);
        await admin.PostAsJsonAsync(
            "api/v1/runs",
            new CreateRunBody { Command = ["true"], Lock = name },
            HearthJson.Options
        );
        var before = await server.Client().GetStringAsync("/metrics");
        Assert.Matches(Count("wait", name, 1), before);
        Assert.DoesNotMatch(Count("hold", name, 1), before);

        Assert.Equal(
            HttpStatusCode.Accepted,
            (await admin.PostAsync($"api/v1/runs/{first!.Id}/kill", null)).StatusCode
        );
        var after = await server.Client().GetStringAsync("/metrics");
        Assert.Matches(Count("wait", name, 2), after);
        Assert.Matches(Count("hold", name, 1), after);
        Assert.Contains("# TYPE hearth_lock_wait_seconds histogram", after);
    }

    private static Regex Count(string what, string lockName, int count) =>
        new($"hearth_lock_{what}_seconds_count\\{{[^}}]*lock=\"{lockName}\"[^}}]*\\}} {count}\\b");
}
