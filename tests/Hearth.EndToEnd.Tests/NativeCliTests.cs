using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The Native AOT binary itself (every end-to-end test runs it, see <see cref="HearthBinary"/>): trimming and the
/// absence of reflection break things only there. `hearth dev` (server, SQLite, local agent, all in the AOT process) is
/// driven through each front door that serializes something of its own: runs, logs, status, list, workflows, compose,
/// users, secrets, locks.
/// </summary>
public sealed class NativeCliTests(NativeCli cli) : IClassFixture<NativeCli>
{
    [Fact]
    public void The_published_cli_is_a_native_executable()
    {
        Assert.True(File.Exists(cli.Binary), $"{cli.Binary} was not built");
        var header = new byte[4];
        using (var file = File.OpenRead(cli.Binary))
            file.ReadExactly(header);
        Assert.Equal("\u007fELF"u8.ToArray(), header);
        // An apphost would sit beside its IL; a Native AOT build has no hearth.dll to load.
        Assert.False(
            File.Exists(Path.Combine(Path.GetDirectoryName(cli.Binary)!, "hearth.dll")),
            "the CLI was built as IL (ReadyToRun fallback), not Native AOT"
        );
    }

    [Fact]
    public async Task Hearth_dev_runs_every_front_door_end_to_end()
    {
        var work = Directory.CreateTempSubdirectory("hearth-aot-").FullName;
        var env = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(work, "config") };
        var port = HearthCluster.FreePort();
        var dev = new RunningProcess(
            cli.StartInfo(
                [
                    "dev",
                    "--listen",
                    $"127.0.0.1:{port}",
                    "--data",
                    Path.Combine(work, "data"),
                    "--labels",
                    "machine=build",
                ],
                env
            )
        );
        try
        {
            await dev.WaitForAsync(o => o.Contains("try: hearth run"), TimeSpan.FromSeconds(60), "hearth dev to start");

            var run = await cli.RunAsync(["run", "--", "sh", "-c", "echo out; echo err >&2; exit 3"], env);
            Assert.Equal(3, run.ExitCode);
            Assert.Equal("out\n", run.Stdout);
            Assert.Contains("err", run.Stderr);
            var id = AdHocRunTests.RunId(run.Stderr);

            var status = JsonDocument.Parse((await cli.RunAsync(["status", id, "-o", "json"], env)).Stdout).RootElement;
            Assert.Equal("FAILED", status.GetProperty("status").GetString());
            Assert.Equal(3, status.GetProperty("exit_code").GetInt32());

            var logs = await cli.RunAsync(["logs", id, "-o", "json"], env);
            var lines = logs
                .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement)
                .ToList();
            Assert.Contains(lines, l =>
                l.GetProperty("text").GetString() == "out" && l.GetProperty("stream").GetString() == "STDOUT"
            );
            Assert.Contains(lines, l =>
                l.GetProperty("text").GetString() == "err" && l.GetProperty("stream").GetString() == "STDERR"
            );

            var list = JsonDocument.Parse((await cli.RunAsync(["list", "-o", "json"], env)).Stdout).RootElement;
            Assert.Contains(list.GetProperty("runs").EnumerateArray(), r => r.GetProperty("id").GetString() == id);

            Assert.Equal(124, (await cli.RunAsync(["run", "--timeout", "1s", "--", "sleep", "30"], env)).ExitCode);

            var secret = await cli.RunAsync(
                ["secrets", "create", "aot-token", "--env-name", "AOT_TOKEN", "--from-env", "AOT_VALUE"],
                new Dictionary<string, string>(env) { ["AOT_VALUE"] = "aot-secret-value-1234" }
            );
            Assert.Equal(0, secret.ExitCode);
            // The run sees the value (its length proves it was injected) and its output shows it masked.
            var masked = await cli.RunAsync(
                [
                    "run",
                    "--secret",
                    "aot-token",
                    "--lock",
                    "aot-lock",
                    "--",
                    "sh",
                    "-c",
                    "echo \"t=$AOT_TOKEN len=${#AOT_TOKEN}\"",
                ],
                env
            );
            Assert.Equal(0, masked.ExitCode);
            Assert.Equal("t=*** len=21", masked.Stdout.Trim());
            var locks = JsonDocument
                .Parse((await cli.RunAsync(["locks", "status", "aot-lock", "-o", "json"], env)).Stdout)
                .RootElement;
            Assert.Equal(1, locks.GetProperty("token").GetInt64());

            var users = JsonDocument
                .Parse((await cli.RunAsync(["users", "list", "-o", "json"], env)).Stdout)
                .RootElement;
            Assert.Contains(users.GetProperty("users").EnumerateArray(), u =>
                u.GetProperty("role").GetString() == "admin"
            );

            var workflow = Path.Combine(work, "ci.kdl");
            await File.WriteAllTextAsync(
                workflow,
                """
                version "0.1"
                triggers "push"
                chain {
                    machine "build"
                    fragment { run "echo built" }
                    fragment { run "echo tested" }
                }
                """
            );
            var flow = await cli.RunAsync(
                ["workflow", "run", workflow, "--trigger", "push"],
                env,
                TimeSpan.FromSeconds(90)
            );
            Assert.Equal(0, flow.ExitCode);
            Assert.Contains("built", flow.Stdout);
            Assert.Contains("tested", flow.Stdout);

            var compose = Path.Combine(work, "compose.yaml");
            await File.WriteAllTextAsync(
                compose,
                "services:\n  web:\n    image: nginx:${TAG:-1.27}\n    ports: [\"8080:80\"]\n"
            );
            var config = await cli.RunAsync(["compose", "config", "-f", compose], env);
            Assert.Equal(0, config.ExitCode);
            Assert.Contains("image: \"nginx:1.27\"", config.Stdout);
            Assert.Contains("published: \"8080\"", config.Stdout);

            var bad = await cli.RunAsync(["run", "--env", "NOEQUALS", "--", "true"], env);
            Assert.Equal(2, bad.ExitCode);
            Assert.Contains("--env", bad.Stderr);
        }
        finally
        {
            if (!dev.Process.HasExited)
            {
                Signal(dev.Process.Id, 15);
                if (!dev.Process.WaitForExit(TimeSpan.FromSeconds(20)))
                    dev.Process.Kill(entireProcessTree: true);
            }
            await dev.DisposeAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Hearth_dev_stops_cleanly_on_sigterm()
    {
        var work = Directory.CreateTempSubdirectory("hearth-aot-").FullName;
        var env = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(work, "config") };
        var dev = new RunningProcess(
            cli.StartInfo(
                ["dev", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}", "--data", Path.Combine(work, "data")],
                env
            )
        );
        try
        {
            await dev.WaitForAsync(o => o.Contains("try: hearth run"), TimeSpan.FromSeconds(60), "hearth dev to start");
            var marker = Random.Shared.Next(100_000, 999_999);
            var running = await cli.RunAsync(["run", "--detach", "--", "sleep", marker.ToString()], env);
            Assert.Equal(0, running.ExitCode);
            await WaitUntilAsync(() => Processes($"sleep {marker}") == 1, "the sandbox to start");

            Signal(dev.Process.Id, 15);
            Assert.True(dev.Process.WaitForExit(TimeSpan.FromSeconds(30)), "hearth dev did not exit after SIGTERM");
            Assert.Equal(0, dev.Process.ExitCode);
            Assert.Equal(0, Processes($"sleep {marker}"));
        }
        finally
        {
            await dev.DisposeAsync();
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// <c>hearth api spec</c> in the AOT binary (no server) prints the very document an AOT server serves, schemas and
    /// all: trimming must not cost the document its types, nor make it differ from the JIT build's.
    /// </summary>
    [Fact]
    public async Task Api_spec_prints_what_a_native_server_serves()
    {
        var work = Directory.CreateTempSubdirectory("hearth-aot-spec-").FullName;
        var env = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = Path.Combine(work, "config") };
        try
        {
            var spec = await cli.RunAsync(["api", "spec"], env);
            Assert.True(spec.ExitCode == 0, spec.Stderr);
            var agent = await cli.RunAsync(["api", "spec", "--agent"], env);
            Assert.True(agent.ExitCode == 0, agent.Stderr);
            var document = JsonDocument.Parse(spec.Stdout).RootElement;
            Assert.Equal("3.1.1", document.GetProperty("openapi").GetString());
            var schemas = document.GetProperty("components").GetProperty("schemas");
            var run = schemas.GetProperty("RunView").GetProperty("properties");
            Assert.True(run.TryGetProperty("created_at", out _), "RunView has no created_at");
            Assert.True(document.GetProperty("paths").TryGetProperty("/api/v1/runs/{id}/logs", out _));
            var agentPaths = JsonDocument.Parse(agent.Stdout).RootElement.GetProperty("paths");
            Assert.True(agentPaths.TryGetProperty("/api/v1/agent/lease", out _));

            var port = HearthCluster.FreePort();
            var serverEnv = new Dictionary<string, string>(env) { ["HEARTH_DATA_DIR"] = Path.Combine(work, "data") };
            await using var server = new RunningProcess(
                cli.StartInfo(["server", "--listen", $"127.0.0.1:{port}"], serverEnv)
            );
            await server.WaitForAsync(o => o.Contains("server listening"), TimeSpan.FromSeconds(60), "the server");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            Assert.Equal(spec.Stdout.TrimEnd('\n'), await http.GetStringAsync("openapi/v1.json"));
            Assert.Equal(agent.Stdout.TrimEnd('\n'), await http.GetStringAsync("openapi/agent-v1.json"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    private static int Processes(string commandLine) =>
        Directory
            .EnumerateDirectories("/proc")
            .Count(d =>
            {
                try
                {
                    return Regex.IsMatch(Path.GetFileName(d), "^[0-9]+$")
                        && File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' ').Trim() == commandLine;
                }
                catch (IOException)
                {
                    return false;
                }
            });

    private static void Signal(int pid, int signal) =>
        Process.Start("kill", [$"-{signal}", pid.ToString()])!.WaitForExit();
}
