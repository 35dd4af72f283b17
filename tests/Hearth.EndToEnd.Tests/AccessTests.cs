using System.Text;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Access control through real processes: onboarding with claim tokens, secrets from CLI to sandbox, masking, audit.
/// </summary>
public abstract class AccessTests(ClusterFixture fixture)
{
    private HearthCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_user_is_onboarded_with_a_one_time_claim_token_and_revoked()
    {
        var created = await Cluster.CliAsync("users", "create", "dev@example.com", "--role", "developer");
        Assert.Equal(0, created.ExitCode);
        var token = created.Stdout.Trim();
        Assert.StartsWith("hc_", token);

        var home = Path.Combine(Cluster.DataDir, "dev-home");
        var devEnv = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = home, ["HEARTH_SERVER"] = Cluster.Url };
        var claim = await CliProcess.RunAsync(["claim", token], devEnv);
        Assert.True(claim.ExitCode == 0, claim.Stderr);
        var config = await File.ReadAllTextAsync(Path.Combine(home, "hearth", "config.yaml"));
        Assert.Contains("api_key: hk_", config);
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite,
            File.GetUnixFileMode(Path.Combine(home, "hearth", "config.yaml"))
        );

        var again = await CliProcess.RunAsync(["claim", token], devEnv);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("CLAIM_TOKEN_USED", again.Stderr);

        var asDev = await CliProcess.RunAsync(["list"], devEnv);
        Assert.True(asDev.ExitCode == 0, asDev.Stderr);
        var denied = await CliProcess.RunAsync(["users", "list"], devEnv);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("FORBIDDEN", denied.Stderr);

        var users = await Cluster.CliAsync("users", "list");
        Assert.Contains("dev@example.com", users.Stdout);
        Assert.Equal(0, (await Cluster.CliAsync("users", "revoke", "dev@example.com")).ExitCode);
        var revoked = await CliProcess.RunAsync(["list"], devEnv);
        Assert.Contains("API_KEY_REVOKED", revoked.Stderr);
    }

    [Fact]
    public async Task A_secret_reaches_the_sandbox_environment_only_and_is_masked_everywhere()
    {
        var value = "e2e-" + Guid.NewGuid().ToString("N");
        var create = await CliProcess.RunAsync(
            ["secrets", "create", "e2e-db", "--from-env", "SOURCE_OF_SECRET", "--env-name", "DB_PASSWORD"],
            new Dictionary<string, string>(Cluster.ClientEnv) { ["SOURCE_OF_SECRET"] = value }
        );
        Assert.True(create.ExitCode == 0, create.Stderr);

        // Prints it raw, base64, URL-escaped, and raw again cut in two pipe writes 300 ms apart; then waits, so the
        // host can be searched.
        const string script = """
            echo "raw:$DB_PASSWORD"
            printf %s "$DB_PASSWORD" | base64
            printf 'split:'; printf %s "$DB_PASSWORD" | head -c 10; sleep 0.3; printf %s "$DB_PASSWORD" | tail -c +11; echo
            echo "ready"; sleep 4; echo done
            """;
        await using var cli = Cluster.StartCli("run", "--secret", "e2e-db", "--", "sh", "-c", script);
        await cli.WaitForAsync(o => o.Contains("ready"), TimeSpan.FromSeconds(30), "the run to print ready");

        var agentPid = Cluster.Agents[0].Process.Id;
        var holders = ProcessesWith(value);
        Assert.Empty(holders.CommandLines);
        Assert.NotEmpty(holders.Environments);
        foreach (var pid in holders.Environments)
        {
            Assert.NotEqual(agentPid, pid);
            Assert.NotEqual(Cluster.Server.Process.Id, pid);
            Assert.NotEqual(cli.Process.Id, pid);
            Assert.True(
                IsDescendantOf(pid, agentPid),
                $"process {pid} ({Comm(pid)}) holds the secret in its environment but is not in a sandbox"
            );
        }

        Assert.Equal(0, await cli.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var output = cli.Stdout;
        Assert.Contains("raw:***", output);
        // The pause may cut the line in two or three pieces (each shown on a line of its own): every part is masked.
        Assert.Matches(@"split:\n?\*\*\*(\n\*\*\*)*\nready", output);
        Assert.DoesNotContain(value, output);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(value))[..20], output);

        var logs = await Cluster.CliAsync("logs", AdHocRunTests.RunId(cli.Stderr));
        Assert.DoesNotContain(value, logs.Stdout);
        var audit = await Cluster.CliAsync("audit", "--output", "json");
        Assert.DoesNotContain(value, audit.Stdout);
        Assert.DoesNotContain(
            value,
            Cluster.Server.Stdout + Cluster.Server.Stderr + Cluster.Agents[0].Stdout + Cluster.Agents[0].Stderr
        );
        Assert.False(StoreContains(value), "the secret is in the store in clear");

        var get = await Cluster.CliAsync("secrets", "get", "e2e-db");
        Assert.Equal(value, get.Stdout.Trim());
        var refusedOnCommandLine = await Cluster.CliAsync("secrets", "create", "nope");
        Assert.Equal(2, refusedOnCommandLine.ExitCode);
        Assert.Contains("--from-file", refusedOnCommandLine.Stderr);
    }

    [Fact]
    public async Task Who_may_use_a_secret_is_set_with_allow_user_and_allow_role_and_reset_with_owner_only()
    {
        var env = new Dictionary<string, string>(Cluster.ClientEnv) { ["V"] = "allow-" + Guid.NewGuid().ToString("N") };
        var created = await CliProcess.RunAsync(
            [
                "secrets",
                "create",
                "e2e-shared",
                "--from-env",
                "V",
                "--allow-user",
                "ann@example.com",
                "--allow-role",
                "developer",
                "-o",
                "json",
            ],
            env
        );
        Assert.True(created.ExitCode == 0, created.Stderr);
        var view = System.Text.Json.JsonDocument.Parse(created.Stdout).RootElement;
        Assert.Equal("ann@example.com", view.GetProperty("allowed_users")[0].GetString());
        Assert.Equal("developer", view.GetProperty("allowed_roles")[0].GetString());
        var listed = await Cluster.CliAsync("secrets", "list");
        Assert.Contains("owner,role:developer,ann@example.com", listed.Stdout);

        var reset = await CliProcess.RunAsync(["secrets", "update", "e2e-shared", "--owner-only", "-o", "json"], env);
        Assert.True(reset.ExitCode == 0, reset.Stderr);
        var after = System.Text.Json.JsonDocument.Parse(reset.Stdout).RootElement;
        Assert.Equal(0, after.GetProperty("allowed_users").GetArrayLength());
        Assert.Equal(0, after.GetProperty("allowed_roles").GetArrayLength());

        var bad = await CliProcess.RunAsync(["secrets", "update", "e2e-shared", "--allow-role", "root"], env);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("allowed_roles[0]: 'root' is not a role", bad.Stderr);
    }

    [Fact]
    public async Task Audit_and_trace_show_who_did_what()
    {
        var run = await Cluster.CliAsync("run", "--", "true");
        Assert.Equal(0, run.ExitCode);
        var id = AdHocRunTests.RunId(run.Stderr);

        var audit = await Cluster.CliAsync("audit", "--actor", "admin", "--since", "1h", "--output", "json");
        Assert.Equal(0, audit.ExitCode);
        using var document = System.Text.Json.JsonDocument.Parse(audit.Stdout);
        var entry = document
            .RootElement.GetProperty("entries")
            .EnumerateArray()
            .First(e => e.GetProperty("target").GetString() == id);
        Assert.Equal("runs.create", entry.GetProperty("action").GetString());
        var requestId = entry.GetProperty("request_id").GetString()!;

        var trace = await Cluster.CliAsync("trace", requestId);
        Assert.Equal(0, trace.ExitCode);
        Assert.Contains($"run {id}", trace.Stdout);
        Assert.Contains("runs.create", trace.Stdout);
    }

    private bool StoreContains(string value)
    {
        var needle = Encoding.UTF8.GetBytes(value);
        foreach (var file in Directory.GetFiles(Path.Combine(Cluster.DataDir, "server"), "hearth.db*"))
        {
            using var stream = new FileStream(
                file,
                FileMode.Open,
                FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete
            );
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            if (memory.ToArray().AsSpan().IndexOf(needle) >= 0)
                return true;
        }
        return false;
    }

    private static (List<int> CommandLines, List<int> Environments) ProcessesWith(string value)
    {
        var needle = Encoding.UTF8.GetBytes(value);
        var commandLines = new List<int>();
        var environments = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
                continue;
            if (Read(Path.Combine(dir, "cmdline")) is { } cmdline && cmdline.AsSpan().IndexOf(needle) >= 0)
                commandLines.Add(pid);
            if (Read(Path.Combine(dir, "environ")) is { } environ && environ.AsSpan().IndexOf(needle) >= 0)
                environments.Add(pid);
        }
        return (commandLines, environments);
    }

    private static byte[]? Read(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsDescendantOf(int pid, int ancestor)
    {
        for (var current = pid; current > 1; )
        {
            var parent = ParentOf(current);
            if (parent == ancestor)
                return true;
            if (parent is null)
                return false;
            current = parent.Value;
        }
        return false;
    }

    private static int? ParentOf(int pid)
    {
        var stat = Read($"/proc/{pid}/stat");
        if (stat is null)
            return null;
        var text = Encoding.ASCII.GetString(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[1]);
    }

    private static string Comm(int pid) =>
        Read($"/proc/{pid}/comm") is { } comm ? Encoding.ASCII.GetString(comm).Trim() : "?";
}

public sealed class SqliteAccessTests(SqliteClusterFixture fixture)
    : AccessTests(fixture),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresAccessTests(PostgresClusterFixture fixture)
    : AccessTests(fixture),
        IClassFixture<PostgresClusterFixture>;
