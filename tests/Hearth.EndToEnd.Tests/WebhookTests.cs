using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Webhooks for real: a git push to a repository served by git daemon on loopback, the repository registered with
/// <c>hearth repos add</c>, a signed GitHub delivery posted to the server, and the workflow file of the pushed commit
/// run by a real agent, which the forge hears about through its status API (pending, then success). A forged delivery
/// starts nothing.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string Secret = "e2e-webhook-secret";
    private HearthCluster _cluster = null!;
    private Process? _daemon;
    private readonly string _root = Directory.CreateTempSubdirectory("hearth-e2e-hooks-").FullName;
    private readonly int _port = HearthCluster.FreePort();
    private readonly ForgeStatusListener _forge = new();
    private string Url => $"git://127.0.0.1:{_port}/team/app.git";

    public async Task InitializeAsync()
    {
        _cluster = await HearthCluster.StartAsync();
        await _cluster.StartAgentAsync("ci-agent", labels: "machine=ci");
        await GitAsync(_root, "init", "-q", "--bare", "-b", "main", "team/app.git");
        var info = new ProcessStartInfo("git")
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (
            var arg in new[]
            {
                "daemon",
                "--export-all",
                "--enable=receive-pack",
                $"--base-path={_root}",
                "--listen=127.0.0.1",
                $"--port={_port}",
                "--reuseaddr",
                _root,
            }
        )
            info.ArgumentList.Add(arg);
        _daemon = Process.Start(info)!;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                await GitAsync(_root, "ls-remote", Url);
                break;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _forge.Dispose();
        if (_daemon is { HasExited: false })
            _daemon.Kill(entireProcessTree: true);
        _daemon?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_signed_push_delivery_runs_the_pushed_workflow_on_an_agent_and_a_forged_one_starts_nothing()
    {
        var work = Path.Combine(_root, "work");
        await GitAsync(_root, "clone", "-q", Url, work);
        Directory.CreateDirectory(Path.Combine(work, ".hearth"));
        await File.WriteAllTextAsync(
            Path.Combine(work, ".hearth", "ci.kdl"),
            """
            version "0.1"
            triggers {
                push { branches "main" }
                manual
            }
            chain {
                machine "ci"
                fragment { run "echo built $BRANCH at $COMMIT_SHA by $TRIGGER" }
                fragment { run "echo key=$DEPLOY_KEY"; secrets "deploy-key" }
            }
            """
        );
        await GitAsync(work, "add", ".");
        await GitAsync(work, "commit", "-q", "-m", "ci");
        await GitAsync(work, "push", "-q", "origin", "HEAD:main");
        var sha = (await GitAsync(work, "rev-parse", "HEAD")).Trim();

        var secretFile = Path.Combine(_root, "secret");
        await File.WriteAllTextAsync(secretFile, Secret + "\n");
        var tokenFile = Path.Combine(_root, "token");
        await File.WriteAllTextAsync(tokenFile, "e2e-status-token\n");
        var added = await _cluster.CliAsync(
            "repos",
            "add",
            "--forge",
            "github",
            "--url",
            Url,
            "--secret-file",
            secretFile,
            "--token-file",
            tokenFile,
            "--api-url",
            _forge.Url + "/api",
            "--workflow",
            ".hearth/ci.kdl",
            "--name",
            "app"
        );
        Assert.True(added.ExitCode == 0, added.Stderr);
        var hookUrl = added.Stdout.Trim();
        // A secret an admin granted to the repository reaches its push's step, masked in the log.
        var keyFile = Path.Combine(_root, "deploy.key");
        await File.WriteAllTextAsync(keyFile, "e2e-deploy-value");
        var created = await _cluster.CliAsync("secrets", "create", "deploy-key", "--from-file", keyFile);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var granted = await _cluster.CliAsync("repos", "secrets", "app", "--grant", "deploy-key");
        Assert.True(granted.ExitCode == 0, granted.Stderr);
        Assert.Equal("deploy-key", granted.Stdout.Trim());
        Assert.Equal(_cluster.Url.TrimEnd('/') + "/api/v1/webhooks/github/app", hookUrl);
        var listed = JsonDocument.Parse((await _cluster.CliAsync("repos", "list", "-o", "json")).Stdout).RootElement;
        Assert.Equal("app", listed.GetProperty("repositories")[0].GetProperty("name").GetString());

        var body =
            $$"""{"ref":"refs/heads/main","after":"{{sha}}","head_commit":{"id":"{{sha}}"},"commits":[{"id":"{{sha}}","added":[".hearth/ci.kdl"]}]}""";
        using var http = new HttpClient();
        var forged = await http.SendAsync(Delivery(hookUrl, body, "forged-1", "not-the-secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        var delivered = await http.SendAsync(Delivery(hookUrl, body, "delivery-1", Secret));
        Assert.Equal(HttpStatusCode.Created, delivered.StatusCode);
        var runId = JsonDocument
            .Parse(await delivered.Content.ReadAsStringAsync())
            .RootElement.GetProperty("run_ids")[0]
            .GetString()!;

        var logs = await _cluster.CliAsync("logs", "-f", runId);
        Assert.True(logs.ExitCode == 0, logs.Stderr);
        Assert.Contains($"built main at {sha} by push", logs.Stdout);
        Assert.Contains("key=***", logs.Stdout);
        Assert.DoesNotContain("e2e-deploy-value", logs.Stdout);

        // The forge's status API heard the run end with success. Before it, pending (GitHub has no running state): each
        // status recorded when the run was created or seen running was sent, or, when the run ended before the loop
        // reached it, superseded (the forge keeps only a context's latest status).
        await _forge.WaitForAsync(
            r => r.Body.Contains($"/runs/{runId}\"") && r.Body.Contains("\"state\":\"success\""),
            1,
            TimeSpan.FromSeconds(30)
        );
        var statuses = await _forge.WaitForAsync(r => r.Body.Contains($"/runs/{runId}\""), 1, TimeSpan.Zero);
        Assert.All(statuses, r =>
            Assert.Equal(
                ("POST", $"/api/repos/team/app/statuses/{sha}", "Bearer e2e-status-token"),
                (r.Method, r.Path, r.Authorization)
            )
        );
        var states = statuses
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("state").GetString())
            .ToList();
        Assert.Equal("success", states[^1]);
        Assert.All(states[..^1], state => Assert.Equal("pending", state));
        var shown = JsonDocument
            .Parse((await _cluster.CliAsync("repos", "statuses", "app", "-o", "json")).Stdout)
            .RootElement;
        var ofRun = shown
            .GetProperty("statuses")
            .EnumerateArray()
            .Where(s => s.GetProperty("run_id").GetString() == runId)
            .ToList();
        Assert.Contains(ofRun, s =>
            s.GetProperty("state").GetString() == "success" && s.GetProperty("outcome").GetString() == "sent"
        );
        var before = ofRun.Where(s => s.GetProperty("state").GetString() != "success").ToList();
        Assert.Contains(before, s => s.GetProperty("state").GetString() == "pending");
        Assert.Equal(states.Count - 1, before.Count(s => s.GetProperty("outcome").GetString() == "sent"));
        Assert.All(before.Where(s => s.GetProperty("outcome").GetString() != "sent"), s =>
            Assert.StartsWith("superseded by ", s.GetProperty("error").GetString())
        );

        // Only the signed delivery made a run.
        var runs = JsonDocument
            .Parse((await _cluster.CliAsync("list", "-n", "0", "-o", "json")).Stdout)
            .RootElement.GetProperty("runs");
        Assert.Equal([runId], runs.EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray());

        var triggered = await _cluster.CliAsync("workflow", "trigger", "app", "--ref", "main");
        Assert.True(triggered.ExitCode == 0, triggered.Stderr);
        var manual = await _cluster.CliAsync("logs", "-f", triggered.Stdout.Trim());
        Assert.Contains($"built main at {sha} by manual", manual.Stdout);
    }

    private static HttpRequestMessage Delivery(string url, string body, string id, string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-GitHub-Delivery", id);
        request.Headers.Add(
            "X-Hub-Signature-256",
            "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes))
        );
        return request;
    }

    private static async Task<string> GitAsync(string directory, params string[] args)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {await stderr}");
        return await stdout;
    }
}
