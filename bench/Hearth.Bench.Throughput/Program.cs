using System.Data.Common;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hearth.Bench.Store;
using Hearth.Bench.Throughput;
using Hearth.Store;
using Hearth.Store.Postgres;
using Hearth.Store.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

// Trivial tasks per second through a real `hearth server` and N `hearth agent` processes (capacity 1, process driver,
// `true`), against the raw SQL claim loop on the same database in the same run. With --simulated the agents are played
// over the real protocol by this harness (lease, report success at once, no sandbox): what the server can dispatch.
// With --servers N (PostgreSQL) N servers share the database; agents are spread over them.
// Usage: Hearth.Bench.Throughput sqlite [tasks] [agents] [rounds] [--simulated]
//        Hearth.Bench.Throughput postgres "<connection string of an empty database>" [tasks] [agents] [rounds]
//            [--simulated] [--servers N]
var simulated = args.Contains("--simulated");
var serverCount = args.SkipWhile(a => a != "--servers").Skip(1).Select(int.Parse).FirstOrDefault(1);
args = args.Where((a, i) => a is not ("--simulated" or "--servers") && (i == 0 || args[i - 1] != "--servers"))
    .ToArray();
var driver = args.ElementAtOrDefault(0) ?? "sqlite";
if (serverCount > 1 && driver != "postgres")
    throw new ArgumentException("--servers: several servers share only a PostgreSQL database");
var rest = driver == "postgres" ? args.Skip(2).ToArray() : args.Skip(1).ToArray();
var tasks = int.Parse(rest.ElementAtOrDefault(0) ?? "1000");
var agentCount = int.Parse(rest.ElementAtOrDefault(1) ?? "8");
var rounds = int.Parse(rest.ElementAtOrDefault(2) ?? "3");

var work = Directory.CreateTempSubdirectory("hearth-throughput-").FullName;
var config = Path.Combine(work, "server.yaml");
var dbPath = Path.Combine(work, "hearth.db");
var connectionString =
    driver == "postgres"
        ? args.ElementAtOrDefault(1) ?? throw new ArgumentException("postgres needs a connection string")
        : null;

// A long lease: the agents are frozen (SIGSTOP) while a round's queue fills, holding the leases of their polls in
// flight.
await File.WriteAllTextAsync(
    config,
    $"""
    data_dir: {work}/server
    leases:
      ttl: 5m
      heartbeat: 10s
    limits:
      requests_per_minute_per_key: 100000000
      requests_per_minute_per_ip: 100000000
    store:
      driver: {driver}
    """ + (connectionString is null ? $"\n  path: {dbPath}\n" : $"\n  connection_string: '{connectionString}'\n")
);

var processes = new List<HearthProcess>();
SimulatedAgents? players = null;
try
{
    var port = FreePort();
    var server = new HearthProcess(["server", "--config", config, "--listen", $"127.0.0.1:{port}"]);
    processes.Add(server);
    var boot = await server.WaitForAsync("listening on", TimeSpan.FromSeconds(60));
    var adminKey = Regex.Match(boot, @"admin API key: (\S+)").Groups[1].Value;
    var agentToken = Regex.Match(boot, @"agent token: (\S+)").Groups[1].Value;
    var url = $"http://127.0.0.1:{port}";
    var urls = new List<string> { url };
    var servers = new List<HearthProcess> { server };
    for (var i = 1; i < serverCount; i++)
    {
        var otherPort = FreePort();
        var other = new HearthProcess(["server", "--config", config, "--listen", $"127.0.0.1:{otherPort}"]);
        processes.Add(other);
        servers.Add(other);
        await other.WaitForAsync("listening on", TimeSpan.FromSeconds(60));
        urls.Add($"http://127.0.0.1:{otherPort}");
    }
    var agents = new List<HearthProcess>();
    var tokenFile = Path.Combine(work, "agent-token");
    await File.WriteAllTextAsync(tokenFile, agentToken);
    File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    if (simulated)
        players = await SimulatedAgents.StartAsync(urls, agentToken, agentCount);
    for (var i = 0; i < (simulated ? 0 : agentCount); i++)
    {
        // The bench measures the protocol, not a sandbox: its agents run the process driver, as their operator allows.
        var agent = new HearthProcess([
            "agent",
            "--server",
            urls[i % urls.Count],
            "--token-file",
            tokenFile,
            "--name",
            $"bench-{i}",
            "--capacity",
            "1",
            "--drivers",
            "process",
            "--default-driver",
            "process",
            "--scratch",
            Path.Combine(work, $"scratch-{i}"),
        ]);
        processes.Add(agent);
        agents.Add(agent);
    }
    foreach (var agent in agents)
        await agent.WaitForAsync("registered as", TimeSpan.FromSeconds(60));

    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
    {
        BaseAddress = new Uri(url + "/"),
        Timeout = TimeSpan.FromSeconds(60),
    };
    http.DefaultRequestHeaders.Add("X-API-Key", adminKey);
    var api = new ApiLoad(http);

    IRunStore store;
    IRawClaimLoop loop;
    Func<DbConnection> connect;
    NpgsqlDataSource? dataSource = null;
    if (connectionString is not null)
    {
        store = new PostgresRunStore(connectionString, new Hearth.Lifecycle.LifecycleRules());
        dataSource = NpgsqlDataSource.Create(connectionString);
        loop = new PostgresRawClaimLoop(dataSource);
        connect = () => dataSource.CreateConnection();
    }
    else
    {
        store = new SqliteRunStore(dbPath, new Hearth.Lifecycle.LifecycleRules());
        loop = new SqliteRawClaimLoop(dbPath);
        connect = () =>
            new SqliteConnection(
                new SqliteConnectionStringBuilder { DataSource = dbPath, DefaultTimeout = 30 }.ToString()
            );
    }
    var raw = new RawFloor(store, loop, connect);

    void Freeze()
    {
        players?.Pause();
        foreach (var agent in agents)
            agent.Signal(19);
    }
    void Thaw()
    {
        players?.Resume();
        foreach (var agent in agents)
            agent.Signal(18);
    }

    // Warm-up: JIT in the server and agents, connection pools, both loops.
    Thaw();
    await api.SubmitAsync(agentCount * 10, agentCount);
    await api.WaitForAllAsync(agentCount * 10, TimeSpan.FromMinutes(2));
    await raw.MeasureAsync(200, agentCount);

    Console.WriteLine(
        $"driver={driver} servers={serverCount} agents={(simulated ? "simulated" : "hearth agent")} "
            + $"tasks={tasks} agents={agentCount} rounds={rounds} cpus={Environment.ProcessorCount} hearth={Environment.GetEnvironmentVariable("HEARTH_BINARY") ?? "hearth.dll (JIT)"}"
    );
    var apiRates = new List<double>();
    var rawRates = new List<double>();
    var submitRates = new List<double>();
    for (var round = 0; round < rounds; round++)
    {
        // The queue fills while the agents are frozen, then they drain it: the same shape as the raw loop's
        // measurement.
        Freeze();
        submitRates.Add(await api.SubmitAsync(tasks, agentCount));
        var (serverCpu, agentCpu, machineCpu) = (
            Sum(servers.Select(s => s.CpuTime)),
            Sum(agents.Select(a => a.CpuTime)),
            MachineCpu.Busy()
        );
        var start = DateTimeOffset.UtcNow;
        Console.Error.WriteLine($"round {round + 1}: the agents drain the queue");
        Thaw();
        var end = await api.WaitForAllAsync(tasks, TimeSpan.FromMinutes(10));
        apiRates.Add(tasks / (end - start).TotalSeconds);
        // Where the time goes: CPU per task in the server and in the agents while they drained the queue.
        var perTask =
            $"CPU per task: servers {(Sum(servers.Select(s => s.CpuTime)) - serverCpu).TotalMilliseconds / tasks:F2} ms, "
            + $"agents {(Sum(agents.Select(a => a.CpuTime)) - agentCpu).TotalMilliseconds / tasks:F2} ms, "
            + $"whole machine {(MachineCpu.Busy() - machineCpu).TotalMilliseconds / tasks:F2} ms";

        // The agents stay frozen while the raw loop runs, so that only the server's idle polls touch the database.
        Freeze();
        var (rawRate, rawCpu) = await raw.MeasureAsync(tasks, agentCount);
        rawRates.Add(rawRate);
        Thaw();
        var execFloor = await MachineCpu.ExecFloorAsync(tasks);
        Console.WriteLine(
            $"round {round + 1}: server + {agentCount} agents {apiRates[^1]:F0} tasks/s, raw SQL {rawRates[^1]:F0} tasks/s "
                + $"(submissions {submitRates[^1]:F0} runs/s; {perTask}; raw loop, whole machine {rawCpu.TotalMilliseconds:F2} ms per task; "
                + $"one /bin/true from a shell loop {execFloor.TotalMilliseconds:F2} ms)"
        );
    }
    double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
    Console.WriteLine(
        $"median: server + {agentCount} agents {Median(apiRates):F0} tasks/s, raw SQL {Median(rawRates):F0} tasks/s, "
            + $"ratio {Median(apiRates) / Median(rawRates):F2}; submissions {Median(submitRates):F0} runs/s"
    );
    if (store is IAsyncDisposable disposable)
        await disposable.DisposeAsync();
    if (dataSource is not null)
        await dataSource.DisposeAsync();
}
finally
{
    if (players is not null)
        await players.DisposeAsync();
    foreach (var process in Enumerable.Reverse(processes))
        await process.DisposeAsync();
    SqliteConnection.ClearAllPools();
    Directory.Delete(work, recursive: true);
}

static TimeSpan Sum(IEnumerable<TimeSpan> spans) => spans.Aggregate(TimeSpan.Zero, (a, b) => a + b);

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
