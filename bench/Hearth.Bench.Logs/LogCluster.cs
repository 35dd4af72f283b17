using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hearth.Bench.Throughput;

namespace Hearth.Bench.Logs;

/// <summary>
/// Real `hearth server` processes on one store (several only on PostgreSQL) and one `hearth agent` on the first,
/// running the process driver: the bench measures the log path (agent → server → store → follower), not a sandbox.
/// </summary>
public sealed class LogCluster : IAsyncDisposable
{
    private readonly List<HearthProcess> _processes = [];
    private readonly string _work;

    private LogCluster(string work) => _work = work;

    public List<string> Urls { get; } = [];

    public string AdminKey { get; private set; } = "";

    public static async Task<LogCluster> StartAsync(string driver, string? connectionString, int servers)
    {
        var cluster = new LogCluster(Directory.CreateTempSubdirectory("hearth-logbench-").FullName);
        try
        {
            await cluster.StartProcessesAsync(driver, connectionString, servers);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task StartProcessesAsync(string driver, string? connectionString, int servers)
    {
        var config = Path.Combine(_work, "server.yaml");
        await File.WriteAllTextAsync(
            config,
            $"""
            data_dir: {_work}/server
            limits:
              requests_per_minute_per_key: 100000000
              requests_per_minute_per_ip: 100000000
            store:
              driver: {driver}
            """
                + (
                    connectionString is null
                        ? $"\n  path: {_work}/hearth.db\n"
                        : $"\n  connection_string: '{connectionString}'\n"
                )
        );
        string agentToken = "";
        for (var i = 0; i < servers; i++)
        {
            var port = FreePort();
            var server = new HearthProcess(["server", "--config", config, "--listen", $"127.0.0.1:{port}"]);
            _processes.Add(server);
            var boot = await server.WaitForAsync("listening on", TimeSpan.FromSeconds(60));
            if (i == 0)
            {
                AdminKey = Regex.Match(boot, @"admin API key: (\S+)").Groups[1].Value;
                agentToken = Regex.Match(boot, @"agent token: (\S+)").Groups[1].Value;
            }
            Urls.Add($"http://127.0.0.1:{port}");
        }
        var tokenFile = Path.Combine(_work, "agent-token");
        await File.WriteAllTextAsync(tokenFile, agentToken);
        File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var agent = new HearthProcess([
            "agent",
            "--server",
            Urls[0],
            "--token-file",
            tokenFile,
            "--name",
            "logbench",
            "--drivers",
            "process",
            "--default-driver",
            "process",
            "--scratch",
            Path.Combine(_work, "scratch"),
        ]);
        _processes.Add(agent);
        await agent.WaitForAsync("registered as", TimeSpan.FromSeconds(60));
    }

    public HttpClient Client(int server)
    {
        var http = new HttpClient { BaseAddress = new Uri(Urls[server] + "/"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add("X-API-Key", AdminKey);
        return http;
    }

    /// <summary>Starts `sh -c SCRIPT` as a run through server 0; returns its id.</summary>
    public async Task<string> RunAsync(string script)
    {
        using var http = Client(0);
        using var response = await http.PostAsync(
            "api/v1/runs",
            new StringContent(
                JsonSerializer.Serialize(new { command = new[] { "sh", "-c", script } }),
                System.Text.Encoding.UTF8,
                "application/json"
            )
        );
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /runs: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>Waits for the run to end; returns its view.</summary>
    public async Task<JsonElement> WaitForEndAsync(string runId, TimeSpan timeout)
    {
        using var http = Client(0);
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var run = JsonDocument.Parse(await http.GetStringAsync($"api/v1/runs/{runId}")).RootElement;
            if (run.GetProperty("status").GetString() is "SUCCEEDED" or "FAILED" or "STOPPED" or "TIMED_OUT")
                return run;
            await Task.Delay(20);
        }
        throw new TimeoutException($"run {runId} did not end");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
            await process.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }
}
