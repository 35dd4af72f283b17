using System.Diagnostics;
using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// An admin's run --driver process on a fleet whose only agent lacks process used to sit in STARTING with no reason:
/// hearth status and hearth list say why at once, and hearth agents shows what the fleet runs.
/// </summary>
public sealed class PlacementTests
{
    [Fact]
    public async Task An_unsatisfiable_driver_shows_its_reason_within_a_second()
    {
        await using var cluster = await HearthCluster.StartAsync();
        await cluster.StartAgentAsync("dev-1", labels: "group=test", drivers: "bubblewrap");
        const string reason = "waiting: no live agent has driver process";

        var clock = Stopwatch.StartNew();
        var started = await cluster.CliAsync("run", "-d", "--driver", "process", "--", "echo", "never");
        Assert.Equal(0, started.ExitCode);
        var id = started.Stdout.Trim();
        var status = await cluster.CliAsync("status", id);
        var list = await cluster.CliAsync("list");
        var shown = clock.Elapsed;

        Assert.Contains($"WAITING    {reason}", status.Stdout);
        Assert.Contains("STARTING", status.Stdout);
        var row = list.Stdout.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.EndsWith(reason["waiting: ".Length..], row.TrimEnd());
        Assert.True(shown < TimeSpan.FromSeconds(1), $"the reason took {shown.TotalMilliseconds:F0} ms to show (run, status and list)");

        var json = JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
        Assert.Equal(reason, json.GetProperty("waiting").GetString());
        var agents = JsonDocument.Parse((await cluster.CliAsync("agents", "-o", "json")).Stdout).RootElement.GetProperty("agents");
        var agent = Assert.Single(agents.EnumerateArray());
        Assert.Equal(("dev-1", "ONLINE", "bubblewrap", 0, 4), (agent.GetProperty("name").GetString(), agent.GetProperty("status").GetString(),
            string.Join(',', agent.GetProperty("drivers").EnumerateArray().Select(d => d.GetString())), agent.GetProperty("running").GetInt32(),
            agent.GetProperty("capacity").GetInt32()));
        Assert.Equal("test", agent.GetProperty("labels").GetProperty("group").GetString());
        var table = await cluster.CliAsync("agents");
        Assert.Matches(@"dev-1\s+ONLINE\s+bubblewrap\s+0/4\s", table.Stdout);
    }
}
