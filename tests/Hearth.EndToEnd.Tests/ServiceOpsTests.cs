using System.Text.Json.Nodes;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// The day-two commands on a compose project, end to end: a real server and agent (oci driver, busybox from a loopback
/// registry, a bind root allowed with --bind-root; the cluster shared with the other compose classes, ServiceCluster).
/// One small project is brought up once for the class: exec into its replica (output, stderr, exit code), its secret
/// and config and bind delivered, logs by service and by run, down -v.
/// </summary>
[Collection(ServiceClusterCollection.Name)]
public sealed class ServiceOpsTests(ServiceOpsTests.Project project) : IClassFixture<ServiceOpsTests.Project>
{
    public const string SecretValue = "e2e-topsecret-42";

    public sealed class Project(ServiceCluster services) : IAsyncLifetime
    {
        public HearthCluster Cluster => services.Cluster;
        public string Work { get; private set; } = null!;
        public string Image => services.Image;
        public string ComposeFile => Path.Combine(Work, "compose.yaml");

        public async Task InitializeAsync()
        {
            Work = services.DirectoryFor("service-ops");
            Directory.CreateDirectory(Path.Combine(Work, "shared"));
            await File.WriteAllTextAsync(Path.Combine(Work, "shared", "hello.txt"), "from the host\n");
            await File.WriteAllTextAsync(Path.Combine(Work, "token.txt"), SecretValue);
            await File.WriteAllTextAsync(
                ComposeFile,
                $$"""
                name: e2e-ops
                services:
                  app:
                    image: {{Image}}
                    command: ["sh", "-c", "echo started; echo data > /data/mark; exec sleep 3600"]
                    secrets: [ token ]
                    configs: [ { source: conf, target: /etc/app.conf } ]
                    volumes: [ "data:/data", "./shared:/shared:ro" ]
                volumes:
                  data: {}
                secrets:
                  token: { file: ./token.txt }
                configs:
                  conf: { content: "mode=e2e" }
                """
            );
        }

        // The test brings the project down; this is for a test that failed before it.
        public async Task DisposeAsync() => await Cluster.CliAsync("down", "-p", "e2e-ops");
    }

    private Task<CliProcess.Result> Cli(params string[] args) => project.Cluster.CliAsync(args);

    [Fact]
    public async Task Exec_logs_secrets_and_down_work_on_a_running_project()
    {
        var up = await Cli("up", "-d", "--wait", "--wait-timeout", "50", "-f", project.ComposeFile);
        Assert.True(up.ExitCode == 0, up.Stderr);

        // exec: the command's stdout, stderr and exit code are the CLI's.
        var secret = await Cli(
            "exec",
            "-p",
            "e2e-ops",
            "app",
            "--",
            "cat",
            "/run/secrets/token",
            "/etc/app.conf",
            "/shared/hello.txt"
        );
        Assert.True(secret.ExitCode == 0, secret.Stderr);
        // Neither file ends in a newline: the three contents run together.
        Assert.Equal(SecretValue + "mode=e2efrom the host\n", secret.Stdout);
        var failing = await Cli(
            "exec",
            "-p",
            "e2e-ops",
            "--replica",
            "1",
            "app",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7"
        );
        Assert.Equal(7, failing.ExitCode);
        Assert.Equal("out\n", failing.Stdout);
        Assert.Contains("err", failing.Stderr);
        var absent = await Cli("exec", "-p", "e2e-ops", "nope", "--", "true");
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("has no service 'nope'", absent.Stderr);

        // The secret is never shown: not by inspect, not by ps.
        var inspect = await Cli("inspect", "-p", "e2e-ops", "app");
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Assert.DoesNotContain(SecretValue, inspect.Stdout);
        Assert.Contains("/run/secrets/token", inspect.Stdout);

        // logs: by service (prefixed per replica) and, as before, by run.
        var logs = await Cli("logs", "-p", "e2e-ops", "app");
        Assert.True(logs.ExitCode == 0, logs.Stderr);
        Assert.Contains("app-1 | started", logs.Stdout);
        var runId = (string)
            JsonNode.Parse((await Cli("ps", "-p", "e2e-ops", "-o", "json")).Stdout)!["replicas"]![0]!["run_id"]!;
        var byRun = await Cli("logs", runId);
        Assert.True(byRun.ExitCode == 0, byRun.Stderr);
        Assert.Equal("started\n", byRun.Stdout);
        var unknown = await Cli("logs", "-p", "e2e-ops", "nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no service or replica 'nope'", unknown.Stderr);

        var down = await Cli("down", "-p", "e2e-ops");
        Assert.True(down.ExitCode == 0, down.Stderr);
    }

    [Fact]
    public async Task A_capability_no_agent_allows_waits_with_the_reason_and_container_settings_and_stop_signal_take_effect()
    {
        var file = Path.Combine(project.Work, "caps.yaml");
        await File.WriteAllTextAsync(
            file,
            $$"""
            name: e2e-caps
            services:
              vpn:
                image: {{project.Image}}
                command: ["sleep", "3600"]
                cap_add: [ SYS_MODULE ]
              quiet:
                image: {{project.Image}}
                command: ["sh", "-c", "trap 'echo got-INT; exit 0' INT; id -u; pwd; cat /proc/sys/net/core/somaxconn; touch /x 2>/dev/null || echo read-only; echo ready; while :; do sleep 1; done"]
                user: app
                working_dir: /tmp
                read_only: true
                sysctls: { net.core.somaxconn: 512 }
                stop_signal: SIGINT
                stop_grace_period: 20s
            """
        );
        var up = await Cli("up", "-d", "-f", file);
        Assert.True(up.ExitCode == 0, up.Stderr);

        JsonNode? vpn = null;
        string? runId = null;
        var deadline = DateTime.UtcNow.AddSeconds(50);
        while (DateTime.UtcNow < deadline)
        {
            var replicas = JsonNode.Parse((await Cli("ps", "-p", "e2e-caps", "-o", "json")).Stdout)![
                "replicas"
            ]!.AsArray();
            vpn = replicas.FirstOrDefault(r => (string?)r!["name"] == "vpn-1");
            runId = (string?)
                replicas
                    .FirstOrDefault(r => (string?)r!["name"] == "quiet-1" && (string?)r!["state"] == "running")
                    ?["run_id"];
            if (
                runId is not null
                && (await Cli("logs", runId)).Stdout.Contains("ready")
                && ((string?)vpn?["waiting"])?.Contains("SYS_MODULE") == true
            )
                break;
            await Task.Delay(250);
        }
        Assert.Equal(
            "no agent can take it: no agent allows capability SYS_MODULE; start an agent with --oci-allow-caps",
            (string?)vpn?["waiting"]
        );
        Assert.NotNull(runId);

        var down = await Cli("down", "-p", "e2e-caps");
        Assert.True(down.ExitCode == 0, down.Stderr);
        // The trap answered the stop signal (sh, the container's pid 1, ignores a SIGTERM it has no trap for).
        Assert.Equal("1000\n/tmp\n512\nread-only\nready\ngot-INT\n", (await Cli("logs", runId)).Stdout);

        var badFlag = await Cli(
            "agent",
            "--server",
            project.Cluster.Url,
            "--token-file",
            project.Cluster.AgentTokenFile,
            "--oci-allow-caps",
            "NET_ADMIN,FLY"
        );
        Assert.Equal(2, badFlag.ExitCode);
        Assert.Contains("--oci-allow-caps: 'FLY' is not a Linux capability", badFlag.Stderr);
    }

    [Fact]
    public async Task Up_refuses_a_key_Hearth_cannot_honour_naming_service_and_key()
    {
        var file = Path.Combine(project.Work, "privileged.yaml");
        await File.WriteAllTextAsync(
            file,
            $"name: e2e-bad\nservices:\n  bad:\n    image: {project.Image}\n    privileged: true\n"
        );
        var up = await Cli("up", "-d", "-f", file);
        Assert.Equal(2, up.ExitCode);
        Assert.Contains("privileged.yaml: services.bad.privileged: Hearth does not support `privileged`", up.Stderr);
    }
}
