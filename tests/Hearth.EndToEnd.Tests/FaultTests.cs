using System.Diagnostics;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Faults that do not depend on the store: bad configuration, and `hearth dev` as a user starts it. Agents that die:
/// <see cref="AgentLossTests"/>.
/// </summary>
public sealed class FaultTests
{
    [Fact]
    public async Task A_bad_server_config_names_the_file_line_and_key()
    {
        var dir = Directory.CreateTempSubdirectory("hearth-e2e-config-").FullName;
        try
        {
            var config = Path.Combine(dir, "server.yaml");
            await File.WriteAllTextAsync(config, "listen: 127.0.0.1:0\nleases:\n  ttl: forever\n");
            var bad = await CliProcess.RunAsync(["server", "--config", config]);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains($"{config}:3:3: leases.ttl: 'forever' is not a positive duration", bad.Stderr);

            await File.WriteAllTextAsync(config, "listen: 127.0.0.1:0\nlisten_port: 9\n");
            var unknown = await CliProcess.RunAsync(["server", "--config", config]);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains($"{config}:2:1: listen_port: unknown setting", unknown.Stderr);

            var env = await CliProcess.RunAsync(["server", "--config", Path.Combine(dir, "missing.yaml")]);
            Assert.Equal(2, env.ExitCode);
            Assert.Contains("no such config file", env.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_taken_address_is_one_clear_line_not_a_stack_trace()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var home = Directory.CreateTempSubdirectory("hearth-e2e-port-").FullName;
        try
        {
            var env = new Dictionary<string, string> { ["XDG_DATA_HOME"] = home, ["XDG_CONFIG_HOME"] = home };
            foreach (var command in new[] { "server", "dev" })
            {
                var result = await CliProcess.RunAsync([command, "--listen", $"127.0.0.1:{port}"], env);
                Assert.Equal(1, result.ExitCode);
                Assert.StartsWith($"hearth: cannot listen on 127.0.0.1:{port}: ", result.Stderr);
                Assert.DoesNotContain("   at ", result.Stderr);
            }
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public async Task Dev_starts_everything_writes_the_cli_config_and_stops_cleanly_on_sigterm()
    {
        var home = Directory.CreateTempSubdirectory("hearth-e2e-dev-").FullName;
        try
        {
            var env = new Dictionary<string, string>
            {
                ["XDG_CONFIG_HOME"] = Path.Combine(home, "config"),
                ["XDG_DATA_HOME"] = Path.Combine(home, "data"),
            };
            await using var dev = new RunningProcess(CliProcess.StartInfo(["dev", "--listen", "127.0.0.1:0"], env));
            await dev.WaitForAsync(o => o.Contains("Admin API key: hk_"), TimeSpan.FromSeconds(60), "dev to start");

            var configFile = Path.Combine(home, "config", "hearth", "config.yaml");
            Assert.True(File.Exists(configFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configFile));

            var marker = Random.Shared.Next(100_000, 999_999);
            var run = await CliProcess.RunAsync(["run", "--", "sh", "-c", "echo from-dev"], env);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal("from-dev\n", run.Stdout);

            var detached = await CliProcess.RunAsync(["run", "-d", "--", "sleep", marker.ToString()], env);
            Assert.Equal(0, detached.ExitCode);
            await WaitUntilAsync(
                () => AdHocRunTests.CountProcesses($"sleep {marker}") == 1,
                "the detached run to start"
            );

            dev.Signal(15);
            Assert.Equal(0, await dev.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, AdHocRunTests.CountProcesses($"sleep {marker}"));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
