using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The agent tells the server a task runs only after a short window: a short task is reported whole in its result,
/// a long one still shows RUNNING and keeps its lease by heartbeats for many TTLs. On each store.
/// </summary>
public abstract class ShortTaskProtocolTests
{
    protected abstract StoreKind Store { get; }

    [Fact]
    public async Task A_short_task_reports_its_start_and_its_lines_with_its_result()
    {
        await using var cluster = await HearthCluster.StartAsync(store: Store);
        await cluster.StartAgentAsync();

        var run = await cluster.CliAsync(
            "run",
            "--driver",
            "process",
            "--",
            "sh",
            "-c",
            "echo one; echo two >&2; exit 3"
        );

        Assert.Equal(3, run.ExitCode);
        var status = JsonDocument
            .Parse((await cluster.CliAsync("status", AdHocRunTests.RunId(run.Stderr), "-o", "json")).Stdout)
            .RootElement;
        Assert.Equal("FAILED", status.GetProperty("status").GetString());
        var started = status.GetProperty("started_at").GetDateTimeOffset();
        Assert.InRange(
            status.GetProperty("ended_at").GetDateTimeOffset() - started,
            TimeSpan.Zero,
            TimeSpan.FromSeconds(30)
        );
        var logs = await cluster.CliAsync("logs", AdHocRunTests.RunId(run.Stderr));
        Assert.Contains("one", logs.Stdout);
        Assert.Contains("two", logs.Stdout + logs.Stderr);
    }

    [Fact]
    public async Task A_long_task_shows_running_and_outlives_many_lease_ttls()
    {
        await using var cluster = await HearthCluster.StartAsync(leaseTtl: "2s", heartbeat: "500ms", store: Store);
        await cluster.StartAgentAsync();
        var detached = await cluster.CliAsync(
            "run",
            "-d",
            "--driver",
            "process",
            "--",
            "sh",
            "-c",
            "sleep 7; echo late"
        );
        var id = detached.Stdout.Trim();

        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? seen;
        do
        {
            seen = JsonDocument
                .Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout)
                .RootElement.GetProperty("status")
                .GetString();
            if (seen == "RUNNING")
                break;
            await Task.Delay(200);
        } while (DateTime.UtcNow < until);
        Assert.Equal("RUNNING", seen);

        var logs = await cluster.CliAsync("logs", "-f", id);
        Assert.Equal("late\n", logs.Stdout);
        var status = JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;
        Assert.Equal(
            ("SUCCEEDED", 1),
            (status.GetProperty("status").GetString(), status.GetProperty("attempt").GetInt32())
        );
    }
}

public sealed class SqliteShortTaskProtocolTests : ShortTaskProtocolTests
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class PostgresShortTaskProtocolTests : ShortTaskProtocolTests
{
    protected override StoreKind Store => StoreKind.Postgres;
}
