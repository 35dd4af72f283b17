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

        // Over HTTP, so the figure is the server's and not the start-up of CLI processes on a loaded machine.
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url + "/") };
        http.DefaultRequestHeaders.Add("X-API-Key", cluster.AdminKey);
        var clock = Stopwatch.StartNew();
        var created = await http.PostAsync(
            "api/v1/runs",
            new StringContent(
                """{"command": ["echo", "never"], "driver": "process"}""",
                System.Text.Encoding.UTF8,
                "application/json"
            )
        );
        var id = JsonDocument
            .Parse(await created.Content.ReadAsStringAsync())
            .RootElement.GetProperty("id")
            .GetString()!;
        var read = JsonDocument.Parse(await http.GetStringAsync($"api/v1/runs/{id}")).RootElement;
        var shown = clock.Elapsed;
        Assert.Equal(reason, read.GetProperty("waiting").GetString());
        Assert.True(shown < TimeSpan.FromSeconds(1), $"the reason took {shown.TotalMilliseconds:F0} ms to show");

        // The CLI shows it in status and list, and an admin's run --driver process says so at once too.
        var started = await cluster.CliAsync("run", "-d", "--driver", "process", "--", "echo", "never");
        Assert.Equal(0, started.ExitCode);
        var status = await cluster.CliAsync("status", started.Stdout.Trim());
        Assert.Contains($"WAITING    {reason}", status.Stdout);
        Assert.Contains("STARTING", status.Stdout);
        var list = await cluster.CliAsync("list");
        var row = list.Stdout.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.EndsWith(reason["waiting: ".Length..], row.TrimEnd());

        var json = JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
        Assert.Equal(reason, json.GetProperty("waiting").GetString());
        var agents = JsonDocument
            .Parse((await cluster.CliAsync("agents", "-o", "json")).Stdout)
            .RootElement.GetProperty("agents");
        var agent = Assert.Single(agents.EnumerateArray());
        Assert.Equal(
            ("dev-1", "ONLINE", "bubblewrap", 0, 4),
            (
                agent.GetProperty("name").GetString(),
                agent.GetProperty("status").GetString(),
                string.Join(',', agent.GetProperty("drivers").EnumerateArray().Select(d => d.GetString())),
                agent.GetProperty("running").GetInt32(),
                agent.GetProperty("capacity").GetInt32()
            )
        );
        Assert.Equal("test", agent.GetProperty("labels").GetProperty("group").GetString());
        var table = await cluster.CliAsync("agents");
        Assert.Matches(@"dev-1\s+ONLINE\s+bubblewrap\s+0/4\s", table.Stdout);
    }
}
