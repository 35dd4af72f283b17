namespace Hearth.EndToEnd.Tests;

/// <summary>
/// An idempotency key is stored with its run: the same key returns the same run after the server restarts.
/// </summary>
public sealed class IdempotencyKeyTests
{
    [Fact]
    public async Task A_key_reused_after_a_server_restart_returns_the_first_run()
    {
        await using var cluster = await HearthCluster.StartAsync();
        var first = await cluster.CliAsync(
            "run",
            "-d",
            "--idempotency-key",
            "deploy-2026-12-05",
            "--",
            "echo",
            "deployed"
        );
        Assert.Equal(0, first.ExitCode);
        var id = first.Stdout.Trim();

        cluster.Server.Signal(9);
        await cluster.Server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await cluster.RestartServerAsync();
        var again = await cluster.CliAsync(
            "run",
            "-d",
            "--idempotency-key",
            "deploy-2026-12-05",
            "--",
            "echo",
            "deployed"
        );
        var other = await cluster.CliAsync(
            "run",
            "-d",
            "--idempotency-key",
            "deploy-2026-12-05",
            "--",
            "echo",
            "something else"
        );

        Assert.Equal((0, id), (again.ExitCode, again.Stdout.Trim()));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains(
            $"idempotency key 'deploy-2026-12-05' was already used for another request (run {id})",
            other.Stderr
        );
        var list = await cluster.CliAsync("list", "-o", "json");
        Assert.Single(
            System.Text.Json.JsonDocument.Parse(list.Stdout).RootElement.GetProperty("runs").EnumerateArray()
        );

        // The run the key created is the one that runs.
        await cluster.StartAgentAsync();
        var logs = await cluster.CliAsync("logs", "-f", id);
        Assert.Equal((0, "deployed\n"), (logs.ExitCode, logs.Stdout));

        // The attempt's startup breakdown, every step of it measured by the server and the real agent.
        var run = System
            .Text.Json.JsonDocument.Parse((await cluster.CliAsync("status", id, "-o", "json")).Stdout)
            .RootElement;
        var startup = run.GetProperty("startup");
        string[] steps =
        [
            "queued_at",
            "leased_at",
            "sandbox_started_at",
            "first_output_at",
            "exited_at",
            "result_stored_at",
        ];
        var times = steps.Select(s => startup.GetProperty(s).GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        var status = await cluster.CliAsync("status", id);
        Assert.Matches(
            @"STARTUP\s+queued → leased \+\S+ → sandbox started \+\S+ → first output \+\S+ → exited \+\S+ → result stored \+\S+",
            status.Stdout
        );
    }
}
