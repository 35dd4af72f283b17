using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Sandbox;
using Hearth.Server;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hearth.Agent.Tests;

/// <summary>
/// A real server (loopback, throwaway SQLite) and real sandbox drivers, with an agent state directory the tests can
/// fill as an earlier agent would have left it.
/// </summary>
public sealed class AgentHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // One instance of each, as in an agent: each driver owns a spawner thread for its whole life.
    private static readonly ISandboxDriver[] Drivers = [.. SandboxDrivers.CreateHostDrivers()];

    private readonly string _root;
    private readonly List<(Task Run, CancellationTokenSource Drain, CancellationTokenSource Shutdown)> _agents = [];

    private AgentHarness(HearthServer server, string root, Bootstrap.Credentials credentials)
    {
        Server = server;
        _root = root;
        Admin = new HttpClient { BaseAddress = server.Url };
        Admin.DefaultRequestHeaders.Add("X-API-Key", credentials.AdminKey);
        AgentToken = credentials.AgentToken;
        StateDirectory = Path.Combine(root, "agent-state");
        ScratchRoot = Path.Combine(root, "scratch");
    }

    public HearthServer Server { get; }
    public HttpClient Admin { get; }
    public string AgentToken { get; }
    public string StateDirectory { get; }
    public string ScratchRoot { get; }
    public SandboxJournal Journal => new(StateDirectory);

    public static async Task<AgentHarness> StartAsync(
        TimeProvider? time = null,
        Func<ServerOptions, ServerOptions>? configure = null
    )
    {
        var root = Directory.CreateTempSubdirectory("hearth-agent-tests-").FullName;
        var options = new ServerOptions { Listen = "127.0.0.1:0", DataDir = Path.Combine(root, "server") };
        options = configure?.Invoke(options) ?? options;
        time ??= TimeProvider.System;
        var server = await HearthServer.StartAsync(options, CancellationToken.None, time, LogLevel.Warning);
        var credentials = await Bootstrap.EnsureAsync(server.Access, time, new IdGenerator(), CancellationToken.None)
            ?? throw new InvalidOperationException("no bootstrap credentials");
        return new AgentHarness(server, root, credentials);
    }

    public AgentOptions Options(string? name = null) =>
        new()
        {
            Server = new Uri(Server.Url.ToString().TrimEnd('/') + "/"),
            Token = AgentToken,
            Name = name ?? "test-agent",
            Capacity = 2,
            ScratchRoot = ScratchRoot,
            StateDirectory = StateDirectory,
            AllowedDrivers = ["bubblewrap", "process"],
            KillGrace = TimeSpan.FromSeconds(2),
        };

    public static DriverSet DriverSet(AgentOptions options) =>
        new(Drivers, options.AllowedDrivers, options.DefaultDriver);

    public static ISandboxDriver Driver(string name) => Drivers.Single(d => d.Name == name);

    /// <summary>Starts an agent on the harness's state directory; returns how to shut it down.</summary>
    public CancellationTokenSource StartAgent(AgentOptions? options = null) => StartAgentHost(options).Shutdown;

    /// <summary>Starts an agent and returns it (its metrics, its id) with how to shut it down.</summary>
    /// <param name="extraDrivers">Drivers besides the host's (an oci driver on a test registry).</param>
    public (AgentHost Host, CancellationTokenSource Shutdown) StartAgentHost(
        AgentOptions? options = null,
        ILoggerFactory? loggers = null,
        IReadOnlyList<ISandboxDriver>? extraDrivers = null
    )
    {
        options ??= Options();
        var drain = new CancellationTokenSource();
        var shutdown = new CancellationTokenSource();
        var drivers = extraDrivers is null
            ? DriverSet(options)
            : new DriverSet([.. Drivers, .. extraDrivers], options.AllowedDrivers, options.DefaultDriver);
        var host = new AgentHost(options, drivers, TimeProvider.System, loggers ?? NullLoggerFactory.Instance);
        _agents.Add((Task.Run(() => host.RunAsync(drain.Token, shutdown.Token)), drain, shutdown));
        return (host, shutdown);
    }

    /// <summary>An agent client, as an earlier agent would have used it.</summary>
    public AgentApiClient ApiClient(out HttpClient http)
    {
        http = AgentApiClient.CreateHttpClient(Options());
        return new AgentApiClient(http);
    }

    public async Task<RunView> CreateRunAsync(CreateRunBody body)
    {
        var response = await Admin.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!;
    }

    public async Task<RunView> GetRunAsync(string id) =>
        (await Admin.GetFromJsonAsync<RunView>($"api/v1/runs/{id}", HearthJson.Options))!;

    public async Task<RunView> WaitEndedAsync(string id)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var run = await GetRunAsync(id);
            if (run.EndedAt is not null)
                return run;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"run {id} still {run.Status} after {Timeout}");
            await Task.Delay(50);
        }
    }

    public async Task<List<string>> LinesAsync(string id)
    {
        var page = await Admin.GetFromJsonAsync<LogPageView>($"api/v1/runs/{id}/logs?from=0", HearthJson.Options);
        return page!.Lines.Select(l => l.Text).ToList();
    }

    public static Task UntilAsync(Func<Task<bool>> condition, string what) => UntilAsync(condition, what, Timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what}: not within {timeout}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (run, drain, shutdown) in _agents)
        {
            await drain.CancelAsync();
            await shutdown.CancelAsync();
            try
            {
                await run.WaitAsync(Timeout);
            }
            catch (OperationCanceledException) { }
        }
        Admin.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException) { }
    }
}
