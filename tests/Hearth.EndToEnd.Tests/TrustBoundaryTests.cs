using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// What an agent runs and what a run can reach, through real `hearth agent` and `hearth dev` processes: only the
/// drivers the operator allows, never unsandboxed by surprise, and nothing of the server's data, the CLI's config or
/// the agent's token inside a sandbox.
/// </summary>
public sealed class TrustBoundaryTests
{
    /// <summary>A PATH with no bwrap, runc or crun on it (and no apt-get): a machine where nothing sandboxes.</summary>
    private static readonly Dictionary<string, string> NoSandboxTools = new()
    {
        ["PATH"] = "/nonexistent",
        ["HEARTH_AGENT_TOKEN"] = "ha_unused",
    };

    [Fact]
    public async Task An_agent_that_cannot_sandbox_refuses_to_start_unless_process_is_named_and_then_warns()
    {
        await using var cluster = await HearthCluster.StartAsync();

        var refused = await CliProcess.RunAsync(["agent", "--server", cluster.Url], NoSandboxTools);
        Assert.Equal(1, refused.ExitCode);
        Assert.Single(refused.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Matches(
            @"^hearth: no sandboxing driver is usable here \(.*bwrap not found.*\); install bubblewrap \(apt-get install bubblewrap\), "
                + @"or start with --drivers process, knowing that the process driver runs commands unsandboxed, as this agent's user, "
                + @"with the host's filesystem and network\n$",
            refused.Stderr
        );

        var env = new Dictionary<string, string>(NoSandboxTools) { ["HEARTH_AGENT_TOKEN"] = cluster.AgentToken };
        await using var agent = new RunningProcess(
            CliProcess.StartInfo(["agent", "--server", cluster.Url, "--drivers", "process", "--name", "host"], env)
        );
        await agent.WaitForAsync(o => o.Contains("registered as"), TimeSpan.FromSeconds(30), "the agent to register");
        Assert.Contains(
            "hearth: warning: the process driver runs commands unsandboxed, as this agent's user, with the host's filesystem and network",
            agent.Stderr
        );
        var ran = await cluster.CliAsync("run", "--driver", "process", "--", "echo", "on the host");
        Assert.True(ran.ExitCode == 0, ran.Stderr);
        Assert.Equal("on the host\n", ran.Stdout);
    }

    [Fact]
    public async Task Hearth_dev_without_a_sandbox_refuses_to_start()
    {
        var work = Directory.CreateTempSubdirectory("hearth-trust-").FullName;
        try
        {
            var env = new Dictionary<string, string>(NoSandboxTools)
            {
                ["XDG_CONFIG_HOME"] = Path.Combine(work, "config"),
            };
            var refused = await CliProcess.RunAsync(
                ["dev", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}", "--data", Path.Combine(work, "data")],
                env
            );
            Assert.Equal(1, refused.ExitCode);
            Assert.Matches(
                @"^hearth: no sandboxing driver is usable here .*apt-get install bubblewrap.*--drivers process.*\n$",
                refused.Stderr
            );
            Assert.DoesNotContain("Hearth is running", refused.Stdout);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task An_agent_advertises_and_takes_only_the_drivers_its_operator_allows()
    {
        await using var cluster = await HearthCluster.StartAsync();
        var agent = await cluster.StartAgentAsync("sandbox-only", drivers: "bubblewrap");

        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url.TrimEnd('/') + "/") };
        http.DefaultRequestHeaders.Add("X-API-Key", cluster.AdminKey);
        var agents = JsonDocument.Parse(await http.GetStringAsync("api/v1/agents")).RootElement.GetProperty("agents");
        var labels = agents[0].GetProperty("labels");
        Assert.Equal("true", labels.GetProperty("driver.bubblewrap").GetString());
        Assert.False(labels.TryGetProperty("driver.process", out _), labels.ToString());

        var host = await cluster.CliAsync("run", "-d", "--driver", "process", "--", "id");
        Assert.True(host.ExitCode == 0, host.Stderr);
        var sandboxed = await cluster.CliAsync("run", "--driver", "bubblewrap", "--", "echo", "sandboxed");
        Assert.Equal("sandboxed\n", sandboxed.Stdout);
        // The process run was queued before the bubblewrap one, which has ended: it waits for an agent that allows
        // process.
        var status = JsonDocument
            .Parse((await cluster.CliAsync("status", host.Stdout.Trim(), "-o", "json")).Stdout)
            .RootElement;
        Assert.Equal("STARTING", status.GetProperty("status").GetString());
        Assert.DoesNotContain(cluster.AgentToken, await File.ReadAllTextAsync($"/proc/{agent.Process.Id}/cmdline"));
    }

    [Fact]
    public async Task A_bubblewrap_run_cannot_read_the_data_directory_the_cli_config_or_the_agent_token()
    {
        // Not under /tmp, which every sandbox gets fresh: a data directory as a user would have it.
        var work = Directory
            .CreateDirectory(Path.Combine(AppContext.BaseDirectory, "trust-" + Guid.NewGuid().ToString("N")[..8]))
            .FullName;
        var config = Path.Combine(work, "config");
        var data = Path.Combine(work, "data");
        var env = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = config };
        await using var dev = new RunningProcess(
            CliProcess.StartInfo(
                [
                    "dev",
                    "--listen",
                    $"127.0.0.1:{HearthCluster.FreePort()}",
                    "--data",
                    data,
                    "--drivers",
                    "bubblewrap,process",
                ],
                env
            )
        );
        try
        {
            await dev.WaitForAsync(o => o.Contains("try: hearth run"), TimeSpan.FromSeconds(60), "hearth dev to start");
            var adminKey = System
                .Text.RegularExpressions.Regex.Match(dev.Stdout, @"Admin API key: (\S+)")
                .Groups[1]
                .Value;
            var credentials = JsonDocument
                .Parse(await File.ReadAllTextAsync(Path.Combine(data, "dev-credentials.json")))
                .RootElement;
            var agentToken = credentials.GetProperty("agent_token").GetString()!;
            var secretsKey = (await File.ReadAllTextAsync(Path.Combine(data, "secrets.key"))).Trim();
            Assert.Contains(adminKey, await File.ReadAllTextAsync(Path.Combine(config, "hearth", "config.yaml")));

            // Everything a run could try: the files by name, and every command line and environment it can see (its own
            // included, hence a marker that its script does not spell out).
            var script = $"""
                for f in '{data}/dev-credentials.json' '{data}/secrets.key' '{data}/hearth.db' '{config}/hearth/config.yaml'; do
                  cat "$f" 2>/dev/null && echo "READ""-OK $f"
                done
                cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\0' '\n'
                ls -l /proc/self/fd/
                echo end
                """;
            var sandboxed = await CliProcess.RunAsync(
                ["run", "--driver", "bubblewrap", "--network", "--", "sh", "-c", script],
                env
            );
            Assert.True(sandboxed.ExitCode == 0, sandboxed.Stderr);
            Assert.EndsWith("end\n", sandboxed.Stdout);
            Assert.DoesNotContain("READ-OK", sandboxed.Stdout);
            foreach (var secret in new[] { adminKey, agentToken, secretsKey })
                Assert.DoesNotContain(secret, sandboxed.Stdout);

            // The same script unsandboxed (admin only, on an agent that allows it) does read them: the probe can see a
            // leak.
            var host = await CliProcess.RunAsync(["run", "--driver", "process", "--", "sh", "-c", script], env);
            Assert.Contains($"READ-OK {data}/dev-credentials.json", host.Stdout);
            Assert.Contains(agentToken, host.Stdout);
        }
        finally
        {
            dev.Signal(15);
            await dev.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task The_agent_refuses_a_token_on_its_command_line()
    {
        var refused = await CliProcess.RunAsync(["agent", "--server", "http://127.0.0.1:9", "--token", "ha_visible"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith(
            "hearth: --token: a token on the command line is visible to every local user (/proc/PID/cmdline); "
                + "put it in a file for --token-file, or in HEARTH_AGENT_TOKEN",
            refused.Stderr
        );
    }
}
