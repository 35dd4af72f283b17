namespace Hearth.EndToEnd.Tests;

/// <summary>An idempotency key is stored with its run: the same key returns the same run after the server restarts.</summary>
public sealed class IdempotencyKeyTests
{
    [Fact]
    public async Task A_key_reused_after_a_server_restart_returns_the_first_run()
    {
        await using var cluster = await HearthCluster.StartAsync();
        var first = await cluster.CliAsync("run", "-d", "--idempotency-key", "deploy-2026-12-05", "--", "echo", "deployed");
        Assert.Equal(0, first.ExitCode);
        var id = first.Stdout.Trim();

        cluster.Server.Signal(9);
        await cluster.Server.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await cluster.RestartServerAsync();
        var again = await cluster.CliAsync("run", "-d", "--idempotency-key", "deploy-2026-12-05", "--", "echo", "deployed");
        var other = await cluster.CliAsync("run", "-d", "--idempotency-key", "deploy-2026-12-05", "--", "echo", "something else");

        Assert.Equal((0, id), (again.ExitCode, again.Stdout.Trim()));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains($"idempotency key 'deploy-2026-12-05' was already used for another request (run {id})", other.Stderr);
        var list = await cluster.CliAsync("list", "-o", "json");
        Assert.Single(System.Text.Json.JsonDocument.Parse(list.Stdout).RootElement.GetProperty("runs").EnumerateArray());

        // The run the key created is the one that runs.
        await cluster.StartAgentAsync();
        var logs = await cluster.CliAsync("logs", "-f", id);
        Assert.Equal((0, "deployed\n"), (logs.ExitCode, logs.Stdout));
    }
}
