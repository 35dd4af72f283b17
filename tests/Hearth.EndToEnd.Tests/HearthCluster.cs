using System.Text.RegularExpressions;

namespace Hearth.EndToEnd.Tests;

/// <summary>A real `hearth server` and `hearth agent` on loopback, each its own process, with a throwaway data dir.</summary>
public sealed partial class HearthCluster : IAsyncDisposable
{
    private readonly List<RunningProcess> _agents = [];

    private HearthCluster(string dataDir, RunningProcess server, string url, string adminKey, string agentToken)
    {
        DataDir = dataDir;
        Server = server;
        Url = url;
        AdminKey = adminKey;
        AgentToken = agentToken;
    }

    public string DataDir { get; }
    public RunningProcess Server { get; }
    public string Url { get; }
    public string AdminKey { get; }
    public string AgentToken { get; }
    public IReadOnlyList<RunningProcess> Agents => _agents;

    /// <summary>The agents' OCI image store (shared by the agents of this cluster, as on one host).</summary>
    public string ImageStore => Path.Combine(DataDir, "images");

    public IReadOnlyDictionary<string, string> ClientEnv => new Dictionary<string, string>
    {
        ["HEARTH_SERVER"] = Url,
        ["HEARTH_API_KEY"] = AdminKey,
        ["XDG_CONFIG_HOME"] = Path.Combine(DataDir, "client-config"),
    };

    [GeneratedRegex(@"listening on (http://\S+?)/?\s")]
    private static partial Regex Listening();

    [GeneratedRegex(@"admin API key: (\S+)")]
    private static partial Regex Admin();

    [GeneratedRegex(@"agent token: (\S+)")]
    private static partial Regex Token();

    public static async Task<HearthCluster> StartAsync(string? leaseTtl = null, string? heartbeat = null, string? configText = null)
    {
        var dataDir = Directory.CreateTempSubdirectory("hearth-e2e-").FullName;
        var config = Path.Combine(dataDir, "server.yaml");
        await File.WriteAllTextAsync(config, configText ?? $"""
            listen: 127.0.0.1:0
            data_dir: {dataDir}/server
            leases:
              ttl: {leaseTtl ?? "10s"}
              heartbeat: {heartbeat ?? "2s"}
              rescue_interval: 200ms
            """);
        var server = new RunningProcess(CliProcess.StartInfo(["server", "--config", config]));
        var output = await server.WaitForAsync(o => Listening().IsMatch(o), TimeSpan.FromSeconds(60), "the server to listen");
        var url = Listening().Match(output).Groups[1].Value;
        var cluster = new HearthCluster(dataDir, server, url, Admin().Match(output).Groups[1].Value, Token().Match(output).Groups[1].Value);
        return cluster;
    }

    public async Task<RunningProcess> StartAgentAsync(string name = "agent-1", string labels = "", string killGrace = "1s", int capacity = 4)
    {
        var args = new List<string> { "agent", "--server", Url, "--token", AgentToken, "--name", name, "--kill-grace", killGrace,
            "--capacity", capacity.ToString(), "--scratch", Path.Combine(DataDir, "scratch-" + name), "--images", ImageStore };
        if (labels.Length > 0) args.AddRange(["--labels", labels]);
        var agent = new RunningProcess(CliProcess.StartInfo(args));
        _agents.Add(agent);
        await agent.WaitForAsync(o => o.Contains("registered as"), TimeSpan.FromSeconds(30), $"agent {name} to register");
        return agent;
    }

    public Task<CliProcess.Result> CliAsync(params string[] args) => CliProcess.RunAsync(args, ClientEnv);

    public RunningProcess StartCli(params string[] args) => new(CliProcess.StartInfo(args, ClientEnv));

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            if (!agent.Process.HasExited) agent.Signal(15);
        }
        foreach (var agent in _agents)
        {
            try
            {
                await agent.WaitForExitAsync(TimeSpan.FromSeconds(15));
            }
            catch (OperationCanceledException)
            {
            }
            await agent.DisposeAsync();
        }
        if (!Server.Process.HasExited) Server.Signal(15);
        try
        {
            await Server.WaitForExitAsync(TimeSpan.FromSeconds(15));
        }
        catch (OperationCanceledException)
        {
        }
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
