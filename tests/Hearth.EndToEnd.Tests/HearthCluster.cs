using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Real `hearth server`s and `hearth agent`s on loopback, each its own process, with a throwaway data dir, on SQLite
/// (one server) or on a fresh PostgreSQL database (one or several servers sharing it).
/// </summary>
public sealed partial class HearthCluster : IAsyncDisposable
{
    private readonly List<RunningProcess> _agents = [];
    private readonly List<ServerProcess> _servers = [];

    /// <summary>
    /// Agents' --service-bridge-prefix by name: the reaper finds their compose networks' bridges by it.
    /// </summary>
    private readonly Dictionary<string, string> _bridgePrefixes = [];

    private HearthCluster(StoreKind store, string dataDir, string configPath, string adminKey, string agentToken)
    {
        Store = store;
        DataDir = dataDir;
        ConfigPath = configPath;
        AdminKey = adminKey;
        AgentToken = agentToken;
    }

    public StoreKind Store { get; }
    public string DataDir { get; }
    public string ConfigPath { get; }

    /// <summary>The first server, the one the CLI and agents talk to unless told otherwise.</summary>
    public RunningProcess Server => _servers[0].Process;
    public IReadOnlyList<ServerProcess> Servers => _servers;
    public string Url => _servers[0].Url;
    public string AdminKey { get; }
    public string AgentToken { get; }
    public IReadOnlyList<RunningProcess> Agents => _agents;

    /// <summary>The PostgreSQL database the servers share (null on SQLite).</summary>
    public string? ConnectionString { get; private init; }

    /// <summary>The agents' OCI image store (shared by the agents of this cluster, as on one host).</summary>
    public string ImageStore => Path.Combine(DataDir, "images");

    public IReadOnlyDictionary<string, string> ClientEnv => ClientEnvFor(0);

    public IReadOnlyDictionary<string, string> ClientEnvFor(int server) =>
        new Dictionary<string, string>
        {
            ["HEARTH_SERVER"] = _servers[server].Url,
            ["HEARTH_API_KEY"] = AdminKey,
            ["XDG_CONFIG_HOME"] = Path.Combine(DataDir, "client-config"),
        };

    [GeneratedRegex(@"listening on (http://\S+?)/?\s")]
    private static partial Regex Listening();

    [GeneratedRegex(@"admin API key: (\S+)")]
    private static partial Regex Admin();

    [GeneratedRegex(@"agent token: (\S+)")]
    private static partial Regex Token();

    /// <param name="extraConfig">YAML appended to the server's config (top-level keys).</param>
    public static async Task<HearthCluster> StartAsync(
        string? leaseTtl = null,
        string? heartbeat = null,
        int port = 0,
        StoreKind store = StoreKind.Sqlite,
        string extraConfig = ""
    )
    {
        var dataDir = Directory.CreateTempSubdirectory("hearth-e2e-").FullName;
        string? connectionString = null;
        var storeConfig = "";
        if (store == StoreKind.Postgres)
        {
            var postgres = await SharedPostgres.GetAsync();
            connectionString = await postgres.CreateDatabaseAsync();
            storeConfig = $"""

                store:
                  driver: postgres
                  connection_string: '{connectionString}'
                """;
        }
        var config = Path.Combine(dataDir, "server.yaml");
        await File.WriteAllTextAsync(
            config,
            $"""
            data_dir: {dataDir}/server
            leases:
              ttl: {leaseTtl ?? "10s"}
              heartbeat: {heartbeat ?? "2s"}
              rescue_interval: 200ms
            """
                + storeConfig
                + (extraConfig.Length > 0 ? "\n" + extraConfig : "")
        );
        var first = port == 0 ? FreePort() : port;
        var process = StartServerProcess(config, first);
        var output = await process.WaitForAsync(
            o => Listening().IsMatch(o),
            TimeSpan.FromSeconds(60),
            "the server to listen"
        );
        var cluster = new HearthCluster(
            store,
            dataDir,
            config,
            Admin().Match(output).Groups[1].Value,
            Token().Match(output).Groups[1].Value
        )
        {
            ConnectionString = connectionString,
        };
        cluster._servers.Add(new ServerProcess(first, process));
        return cluster;
    }

    private static RunningProcess StartServerProcess(string config, int port) =>
        new(CliProcess.StartInfo(["server", "--config", config, "--listen", $"127.0.0.1:{port}"]));

    /// <summary>
    /// Another server on the same database (PostgreSQL only); returns its index in <see cref="Servers"/>.
    /// </summary>
    public async Task<int> AddServerAsync()
    {
        if (Store != StoreKind.Postgres)
            throw new InvalidOperationException("several servers share one database only on PostgreSQL");
        var port = FreePort();
        var process = StartServerProcess(ConfigPath, port);
        _servers.Add(new ServerProcess(port, process));
        await process.WaitForAsync(
            o => Listening().IsMatch(o),
            TimeSpan.FromSeconds(60),
            $"server {_servers.Count - 1} to listen"
        );
        return _servers.Count - 1;
    }

    /// <summary>kill -9 of a server process: no shutdown code runs.</summary>
    public async Task KillServerAsync(int index = 0)
    {
        var server = _servers[index].Process;
        server.Signal(9);
        await server.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Starts a server again on the same config, data and port.</summary>
    public async Task RestartServerAsync(int index = 0)
    {
        var server = _servers[index];
        await server.Process.DisposeAsync();
        server.Process = StartServerProcess(ConfigPath, server.Port);
        await server.Process.WaitForAsync(
            o => Listening().IsMatch(o),
            TimeSpan.FromSeconds(60),
            $"server {index} to listen again"
        );
    }

    public async Task KillAgentAsync(RunningProcess agent)
    {
        agent.Signal(9);
        await agent.WaitForExitAsync(TimeSpan.FromSeconds(10));
        _agents.Remove(agent);
        await agent.DisposeAsync();
    }

    /// <summary>
    /// The agent token in a file only its owner reads, for --token-file (a token is never put on a command line).
    /// </summary>
    public string AgentTokenFile
    {
        get
        {
            var path = Path.Combine(DataDir, "agent-token");
            if (!File.Exists(path))
            {
                File.WriteAllText(path, AgentToken + "\n");
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            return path;
        }
    }

    /// <param name="drivers">
    /// The agent's --drivers. The suite's agents run process too, as an operator may allow: many tests use it (as
    /// admin). </param>
    public async Task<RunningProcess> StartAgentAsync(
        string name = "agent-1",
        string labels = "",
        string killGrace = "1s",
        int capacity = 4,
        int server = 0,
        string drivers = "bubblewrap,oci,process",
        IReadOnlyList<string>? extraArgs = null
    )
    {
        var args = new List<string>
        {
            "agent",
            "--server",
            _servers[server].Url,
            "--token-file",
            AgentTokenFile,
            "--name",
            name,
            "--kill-grace",
            killGrace,
            "--capacity",
            capacity.ToString(),
            "--scratch",
            Path.Combine(DataDir, "scratch-" + name),
            "--images",
            ImageStore,
            "--drivers",
            drivers,
            "--state-dir",
            StateDirectoryOf(name),
        };
        if (labels.Length > 0)
            args.AddRange(["--labels", labels]);
        if (extraArgs is not null)
            args.AddRange(extraArgs);
        if (extraArgs?.ToList().IndexOf("--service-bridge-prefix") is >= 0 and var at)
            _bridgePrefixes[name] = extraArgs[at + 1];
        var agent = new RunningProcess(CliProcess.StartInfo(args));
        _agents.Add(agent);
        await agent.WaitForAsync(
            o => o.Contains("registered as"),
            TimeSpan.FromSeconds(30),
            $"agent {name} to register"
        );
        return agent;
    }

    /// <summary>
    /// An agent's state directory (its sandbox records and their output): the same for an agent started again by name.
    /// </summary>
    public string StateDirectoryOf(string agentName) => Path.Combine(DataDir, "state-" + agentName);

    public Task<CliProcess.Result> CliAsync(params string[] args) => CliProcess.RunAsync(args, ClientEnv);

    public Task<CliProcess.Result> CliOnAsync(int server, params string[] args) =>
        CliProcess.RunAsync(args, ClientEnvFor(server));

    public RunningProcess StartCli(params string[] args) => new(CliProcess.StartInfo(args, ClientEnv));

    public RunningProcess StartCliOn(int server, params string[] args) =>
        new(CliProcess.StartInfo(args, ClientEnvFor(server)));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            if (!agent.Process.HasExited)
                agent.Signal(15);
        }
        foreach (var agent in _agents)
        {
            await StopAsync(agent);
        }
        foreach (var server in _servers)
        {
            if (server.IsUp)
                server.Process.Signal(15);
        }
        foreach (var server in _servers)
        {
            await StopAsync(server.Process);
        }
        // Sandboxes outlive a killed agent (it would recover them): what a test's killed agents left is removed as an
        // operator would, by the reaper, before the directories go.
        foreach (var scratch in Directory.Exists(DataDir) ? Directory.EnumerateDirectories(DataDir, "scratch-*") : [])
        {
            string[] prefix = _bridgePrefixes.TryGetValue(Path.GetFileName(scratch)["scratch-".Length..], out var p)
                ? ["--service-bridge-prefix", p]
                : [];
            await CliProcess.RunAsync(
                ["agent", "reap", "--scratch", scratch, "--images", ImageStore, .. prefix],
                ClientEnv
            );
        }
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException) { }
    }

    private static async Task StopAsync(RunningProcess process)
    {
        try
        {
            await process.WaitForExitAsync(TimeSpan.FromSeconds(15));
        }
        catch (OperationCanceledException) { }
        await process.DisposeAsync();
    }
}
