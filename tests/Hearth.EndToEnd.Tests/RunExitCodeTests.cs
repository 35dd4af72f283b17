using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The exit codes the README promises for `hearth run`: Ctrl-C stops the run (STOPPED, 130); signal N gives 128+N.
/// </summary>
public sealed class RunExitCodeTests(SqliteClusterFixture fixture) : IClassFixture<SqliteClusterFixture>
{
    private HearthCluster Cluster => fixture.Cluster;

    private async Task<JsonElement> StatusAsync(string id) =>
        JsonDocument.Parse((await Cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;

    [Fact]
    public async Task Ctrl_c_in_hearth_run_kills_the_whole_run_which_ends_stopped_and_the_cli_exits_130()
    {
        var marker = Random.Shared.Next(100_000, 999_999);
        await using var cli = Cluster.StartCli("run", "--", "sh", "-c", $"sleep {marker} & echo ready; wait");
        await cli.WaitForAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the run to start");
        var id = AdHocRunTests.RunId(cli.Stderr);

        cli.Signal(2); // SIGINT, as Ctrl-C in a terminal
        Assert.Equal(130, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"hearth: killing run {id}", cli.Stderr);
        var status = await StatusAsync(id);
        Assert.Equal("STOPPED", status.GetProperty("status").GetString());
        Assert.Equal(0, AdHocRunTests.CountProcesses($"sleep {marker}"));
    }

    [Theory]
    [InlineData(15)]
    [InlineData(9)]
    public async Task A_command_killed_by_signal_n_fails_with_128_plus_n(int signal)
    {
        var run = await Cluster.CliAsync("run", "--", "sh", "-c", $"echo up; kill -{signal} $$; echo survived");
        Assert.Equal(128 + signal, run.ExitCode);
        Assert.Equal("up\n", run.Stdout);
        var status = await StatusAsync(AdHocRunTests.RunId(run.Stderr));
        Assert.Equal("FAILED", status.GetProperty("status").GetString());
        Assert.Equal(128 + signal, status.GetProperty("exit_code").GetInt32());
    }
}
