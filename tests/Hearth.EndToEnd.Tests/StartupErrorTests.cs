namespace Hearth.EndToEnd.Tests;

/// <summary>
/// What the CLI does with broken local state and out-of-range flags: one line naming the file and what to do, an exit
/// code, never a .NET exception; and a server that would lose every secret refuses to start instead.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("hearth-e2e-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static void AssertOneCleanLine(CliProcess.Result result, int exitCode, string mentions)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}, stderr: {result.Stderr}");
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got: {result.Stderr}");
        Assert.StartsWith("hearth: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
        Assert.DoesNotContain("Exception", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    private static Dictionary<string, string> Env(string work, params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(work, "config"),
            ["XDG_DATA_HOME"] = Path.Combine(work, "share"),
        };
        foreach (var (key, value) in extra)
            env[key] = value;
        return env;
    }

    [Fact]
    public async Task Images_rm_of_a_path_is_a_usage_error()
    {
        var result = await CliProcess.RunAsync(
            ["images", "rm", "../../..", "--store", Path.Combine(_work, "images")],
            Env(_work)
        );
        AssertOneCleanLine(result, 2, "'../../..' is not an image reference");
    }

    [Fact]
    public async Task A_timeout_or_pids_limit_past_the_allowed_range_is_a_usage_error()
    {
        var env = Env(_work, ("HEARTH_SERVER", "http://127.0.0.1:9"), ("HEARTH_API_KEY", "hk_unused"));
        AssertOneCleanLine(
            await CliProcess.RunAsync(["run", "--timeout", "1000000d", "--", "true"], env),
            2,
            "at most 30d"
        );
        AssertOneCleanLine(
            await CliProcess.RunAsync(["run", "--pids", "2147483647", "--", "true"], env),
            2,
            "between 1 and 4194304"
        );
    }

    [Fact]
    public async Task A_corrupt_dev_credentials_file_is_named_in_one_line()
    {
        var data = Path.Combine(_work, "data");
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "dev-credentials.json");
        await File.WriteAllTextAsync(file, "{ this is not json");
        var result = await CliProcess.RunAsync(
            ["dev", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}", "--data", data],
            Env(_work),
            TimeSpan.FromSeconds(60)
        );
        AssertOneCleanLine(result, 1, file);
    }

    [Fact]
    public async Task A_corrupt_secrets_key_stops_dev_and_server_with_one_line()
    {
        var data = Path.Combine(_work, "data");
        Directory.CreateDirectory(data);
        var key = Path.Combine(data, "secrets.key");
        await File.WriteAllTextAsync(key, "not base64 at all!\n");
        var dev = await CliProcess.RunAsync(
            ["dev", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}", "--data", data],
            Env(_work),
            TimeSpan.FromSeconds(60)
        );
        AssertOneCleanLine(dev, 2, key);
        var server = await CliProcess.RunAsync(
            ["server", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}"],
            Env(_work, ("HEARTH_DATA_DIR", data)),
            TimeSpan.FromSeconds(60)
        );
        AssertOneCleanLine(server, 2, key);
    }

    [Fact]
    public async Task Big_run_bodies_are_refused_and_leave_the_server_small()
    {
        var (server, http) = await StartServerAsync(Env(_work, ("HEARTH_DATA_DIR", Path.Combine(_work, "data"))));
        await using (server)
        using (http)
        {
            // With Expect: 100-continue the answer comes before the body is sent (the server refuses on
            // Content-Length).
            http.DefaultRequestHeaders.ExpectContinue = true;
            // Six 15 MB commands at once, as the probe sent them (then 1.9 GB of RSS, kept after idling).
            var body = "{\"command\":[\"echo\",\"" + new string('x', 15 * 1024 * 1024) + "\"]}";
            var answers = await Task.WhenAll(
                Enumerable
                    .Range(0, 6)
                    .Select(_ =>
                        http.PostAsync(
                            "api/v1/runs",
                            new StringContent(body, System.Text.Encoding.UTF8, "application/json")
                        )
                    )
            );
            Assert.All(answers, a => Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, a.StatusCode));
            var rss = File.ReadAllLines($"/proc/{server.Process.Id}/status")
                .First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kb = long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            Assert.True(kb < 400 * 1024, $"the server holds {kb / 1024} MB after six refused 15 MB bodies");
            server.Signal(15);
            Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
    }

    [Fact]
    public async Task A_missing_secrets_key_is_not_replaced_while_the_store_holds_secrets()
    {
        var data = Path.Combine(_work, "data");
        var env = Env(_work, ("HEARTH_DATA_DIR", data));
        var (server, http) = await StartServerAsync(env);
        await using (server)
        using (http)
        {
            var created = await http.PostAsync(
                "api/v1/secrets",
                new StringContent(
                    "{\"name\":\"db\",\"value\":\"s3cret-value\"}",
                    System.Text.Encoding.UTF8,
                    "application/json"
                )
            );
            Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
            server.Signal(15);
            Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        var key = Path.Combine(data, "secrets.key");
        File.Delete(key);
        var again = await CliProcess.RunAsync(
            ["server", "--listen", $"127.0.0.1:{HearthCluster.FreePort()}"],
            env,
            TimeSpan.FromSeconds(60)
        );
        AssertOneCleanLine(again, 2, "the store holds secrets");
        Assert.False(File.Exists(key), "a new key was made that decrypts none of the secrets");
    }

    /// <summary>A `hearth server` process on a free port, and a client holding the admin key it printed.</summary>
    private static async Task<(RunningProcess Server, HttpClient Admin)> StartServerAsync(
        Dictionary<string, string> env
    )
    {
        var port = HearthCluster.FreePort();
        var server = new RunningProcess(CliProcess.StartInfo(["server", "--listen", $"127.0.0.1:{port}"], env));
        string started;
        try
        {
            started = await server.WaitForAsync(
                e => e.Contains("server listening"),
                TimeSpan.FromSeconds(60),
                "the server to start"
            );
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        var adminKey = started.Split('\n').First(l => l.Contains("admin API key: ")).Split("admin API key: ")[1].Trim();
        // The client waits for the server's answer before sending a body (not the default 1 s, which a loaded
        // machine can outlast: the body then goes out and meets the refusal's closed connection).
        var http = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
        };
        http.DefaultRequestHeaders.Add("X-API-Key", adminKey);
        return (server, http);
    }
}
