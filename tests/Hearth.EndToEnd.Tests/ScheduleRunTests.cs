using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// A stored schedule fires real runs on a real agent: a command added with hearth schedules add, and a workflow file
/// whose schedule node says when; then the schedules are listed and removed.
/// </summary>
public sealed class ScheduleRunTests : IAsyncLifetime
{
    private HearthCluster _cluster = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _cluster = await HearthCluster.StartAsync(store: StoreKind.Sqlite);
        await _cluster.StartAgentAsync("cron-agent", labels: "machine=cron");
        _dir = Directory.CreateTempSubdirectory("hearth-e2e-cron-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<JsonElement> ScheduleAsync(string name)
    {
        var list = await _cluster.CliAsync("schedules", "list", "-o", "json");
        Assert.True(list.ExitCode == 0, list.Stderr);
        return JsonDocument
            .Parse(list.Stdout)
            .RootElement.GetProperty("schedules")
            .EnumerateArray()
            .Single(s => s.GetProperty("name").GetString() == name);
    }

    /// <summary>
    /// Waits (with a deadline) until the schedule has started a run, then for that run to end; returns it.
    /// </summary>
    private async Task<JsonElement> FirstRunAsync(string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? runId = null;
        while (runId is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"schedule {name} fired no run within 60 s");
            if ((await ScheduleAsync(name)).TryGetProperty("last_run_id", out var id))
                runId = id.GetString();
            else
                await Task.Delay(200);
        }
        while (true)
        {
            var status = JsonDocument
                .Parse((await _cluster.CliAsync("status", runId, "-o", "json")).Stdout)
                .RootElement;
            if (status.GetProperty("status").GetString() is "SUCCEEDED" or "FAILED" or "STOPPED" or "TIMED_OUT")
                return status;
            Assert.True(DateTime.UtcNow < deadline, $"run {runId} of schedule {name} did not end within 60 s");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_scheduled_command_and_a_scheduled_workflow_run_on_the_agent()
    {
        var added = await _cluster.CliAsync(
            "schedules",
            "add",
            "tick",
            "--cron",
            "@every 2s",
            "--",
            "sh",
            "-c",
            "echo scheduled-hello"
        );
        Assert.True(added.ExitCode == 0, added.Stderr);
        Assert.Contains("schedule tick added; next fire", added.Stderr);

        var file = Path.Combine(_dir, "nightly.kdl");
        await File.WriteAllTextAsync(
            file,
            """
            version "0.1"
            triggers "manual" "schedule"
            schedule "* * * * * *" missed="once"
            chain {
                machine "cron"
                fragment { run "echo from-$TRIGGER" }
                fragment { run "echo never"; condition "$TRIGGER == 'manual'" }
            }
            """
        );
        var workflow = await _cluster.CliAsync("schedules", "add", "nightly", "--workflow", file, "-o", "json");
        Assert.True(workflow.ExitCode == 0, workflow.Stderr);
        var created = JsonDocument
            .Parse(workflow.Stdout)
            .RootElement.GetProperty("schedules")
            .EnumerateArray()
            .Single();
        Assert.Equal(
            ("nightly", "workflow", "once", $"{file}:3:1"),
            (
                created.GetProperty("name").GetString(),
                created.GetProperty("target").GetString(),
                created.GetProperty("missed").GetString(),
                created.GetProperty("source").GetString()
            )
        );

        var command = await FirstRunAsync("tick");
        Assert.Equal(
            ("SUCCEEDED", "admin"),
            (command.GetProperty("status").GetString(), command.GetProperty("created_by").GetString())
        );
        var logs = await _cluster.CliAsync("logs", command.GetProperty("id").GetString()!);
        Assert.Equal("scheduled-hello\n", logs.Stdout);

        var run = await FirstRunAsync("nightly");
        Assert.Equal("SUCCEEDED", run.GetProperty("status").GetString());
        var steps = await _cluster.CliAsync("logs", run.GetProperty("id").GetString()!);
        Assert.Equal("[0] from-schedule\n", steps.Stdout);

        foreach (var name in (string[])["tick", "nightly"])
        {
            var removed = await _cluster.CliAsync("schedules", "remove", name);
            Assert.True(removed.ExitCode == 0, removed.Stderr);
        }
        var empty = await _cluster.CliAsync("schedules", "list", "-o", "json");
        Assert.Equal(0, JsonDocument.Parse(empty.Stdout).RootElement.GetProperty("schedules").GetArrayLength());
    }

    [Fact]
    public async Task Bad_schedules_are_refused_with_exit_2_or_the_servers_message()
    {
        var noSpec = await _cluster.CliAsync("schedules", "add", "x", "--", "true");
        Assert.Equal((2, "hearth: --cron: a command schedule needs a spec\n"), (noSpec.ExitCode, noSpec.Stderr));
        var badSpec = await _cluster.CliAsync("schedules", "add", "x", "--cron", "0 24 * * *", "--", "true");
        Assert.NotEqual(0, badSpec.ExitCode);
        Assert.Contains("spec: Hours field (field 2 of 5) '24'", badSpec.Stderr);
        var missing = await _cluster.CliAsync("schedules", "remove", "nope");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no schedule named 'nope'", missing.Stderr);
    }
}
