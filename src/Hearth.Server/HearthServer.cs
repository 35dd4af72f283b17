using System.Net;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Server.Logs;
using Hearth.Server.OpenApi;
using Hearth.Server.Telemetry;
using Hearth.Store;
using Hearth.Store.Access;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hearth.Server;

/// <summary>The control plane: HTTP API, agent protocol, log hub and the background loops (rescue, timeouts).</summary>
public sealed class HearthServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly AreaStores _areas;

    private HearthServer(WebApplication app, IRunStore store, IAccessStore access, AreaStores areas)
    {
        _app = app;
        Store = store;
        Access = access;
        _areas = areas;
    }

    public IRunStore Store { get; }

    /// <summary>Users, keys, secrets and the audit trail.</summary>
    public IAccessStore Access { get; }

    /// <summary>The server's services (tests enumerate its endpoints against the policy table).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The base URL actually bound (the port is known only after start when 0 was asked for).</summary>
    public Uri Url =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<HearthServer> StartAsync(
        ServerOptions options,
        CancellationToken ct,
        TimeProvider? time = null,
        LogLevel logLevel = LogLevel.Information
    )
    {
        EnsureListenable(options.Listen);
        var server = await BuildAsync(options, ct, time, logLevel);
        try
        {
            await AccessSetup.RotateSecretsAsync(server._app, ct);
            await server._app.Services.GetRequiredService<Services.ServiceSecretRotation>().RotateAsync(ct);
            await server._app.StartAsync(ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>
    /// An OpenAPI document of this server's API (<see cref="ApiDocuments.Names"/>), with no server running: the same
    /// app is built, over a throwaway SQLite store, and never started, so it describes exactly what a server maps.
    /// </summary>
    public static async Task<string> DescribeAsync(string documentName, CancellationToken ct)
    {
        var dataDir = Directory.CreateTempSubdirectory("hearth-describe-").FullName;
        try
        {
            await using var server = await BuildAsync(
                new ServerOptions { Listen = "127.0.0.1:0", DataDir = dataDir },
                ct,
                null,
                LogLevel.Warning
            );
            // What starting would do (it ends the pipeline with UseEndpoints): publish the mapped endpoints to
            // routing's EndpointDataSource, where ApiExplorer finds them.
            server._app.UseEndpoints(_ => { });
            return await ApiDocuments.RenderAsync(server.Services, documentName, ct);
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<HearthServer> BuildAsync(
        ServerOptions options,
        CancellationToken ct,
        TimeProvider? time,
        LogLevel logLevel
    )
    {
        var store = StoreFactory.Create(options);
        await store.MigrateAsync(ct);
        var areas = new AreaStores(options);
        var access = await AccessSetup.PrepareAsync(options, areas, ct);
        var locks = await areas.OpenAsync<Store.Locks.ILockStore>(
            cs => new Store.Locks.PostgresLockStore(cs),
            path => new Store.Locks.SqliteLockStore(path),
            ct
        );
        var gitlab = await areas.OpenAsync<Store.GitLab.IGitLabStore>(
            cs => new Store.GitLab.PostgresGitLabStore(cs),
            path => new Store.GitLab.SqliteGitLabStore(path),
            ct
        );
        var repositories = await areas.OpenAsync<Store.Repositories.IRepositoryStore>(
            cs => new Store.Repositories.PostgresRepositoryStore(cs),
            path => new Store.Repositories.SqliteRepositoryStore(path),
            ct
        );
        var schedules = await areas.OpenAsync<Store.Schedules.IScheduleStore>(
            cs => new Store.Schedules.PostgresScheduleStore(cs),
            path => new Store.Schedules.SqliteScheduleStore(path),
            ct
        );
        var statuses = await areas.OpenAsync<Store.Statuses.ICommitStatusStore>(
            cs => new Store.Statuses.PostgresCommitStatusStore(cs),
            path => new Store.Statuses.SqliteCommitStatusStore(path),
            ct
        );
        var services = await areas.OpenAsync<Store.Services.IServiceStore>(
            cs => new Store.Services.PostgresServiceStore(cs),
            path => new Store.Services.SqliteServiceStore(path),
            ct
        );

        // Hearth reads its own YAML config, never appsettings.json; left on, the reload watch puts an inotify watch on
        // every directory below the working directory (all of / for a server started there) and wakes on each write.
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] }
        );
        LogFormat.Configure(builder.Logging, options.Telemetry.LogFormat, options.Telemetry.LogLevel ?? logLevel);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var (host, port) = SplitListen(options.Listen);
            if (host is "localhost")
                kestrel.ListenLocalhost(port, access.ConfigureListener);
            else
                kestrel.Listen(IPAddress.Parse(host), port, access.ConfigureListener);
            kestrel.Limits.MaxRequestBodySize = options.Access.MaxBodyBytes;
            ServerTelemetry.Listen(kestrel, options.Telemetry);
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddSingleton(sp =>
            StoreFactory.CreateLeaderLock(store, sp.GetRequiredService<TimeProvider>())
        );
        builder.Services.AddSingleton(new IdGenerator());
        builder.Services.AddSingleton(sp =>
            StoreFactory.CreateChangeFeed(store, sp.GetRequiredService<TimeProvider>())
        );
        builder.Services.AddSingleton<Signals>();
        builder.Services.AddHostedService<ChangeListener>();
        builder.Services.AddSingleton<WorkBoard>();
        builder.Services.AddSingleton<ImageDefaults>();
        builder.Services.AddSingleton<LiveDrivers>();
        ServerTelemetry.Add(builder.Services, options.Telemetry, new HearthMetrics());
        builder.Services.AddSingleton<Creation.DeliveryWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Creation.DeliveryWriter>());
        builder.Services.AddSingleton<RunService>();
        builder.Services.AddSingleton<Workflows.WorkflowService>();
        builder.Services.AddSingleton<Workflows.WorkflowReconciler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Workflows.WorkflowReconciler>());
        access.AddServices(builder.Services);
        builder.Services.AddSingleton<LogFollower>();
        builder.Services.AddSingleton<Web.WebSessions>();
        builder.Services.AddSingleton<LeaseDispatcher>();
        builder.Services.AddSingleton<Hearth.Server.Agents.PrewarmHints>();
        builder.Services.AddSingleton<HeartbeatWaiter>();
        builder.Services.AddSingleton<LeaseRescuer>();
        builder.Services.AddSingleton<TimeoutEnforcer>();
        builder.Services.AddSingleton<Placement.AgentFleet>();
        builder.Services.AddSingleton<Placement.UnplaceableSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Placement.UnplaceableSweeper>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaseRescuer>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TimeoutEnforcer>());
        builder.Services.AddSingleton(locks);
        builder.Services.AddSingleton(repositories);
        builder.Services.AddSingleton<Repositories.RepositoryService>();
        builder.Services.AddSingleton<Repositories.GitCache>();
        builder.Services.AddSingleton<Repositories.WorkflowMatcher>();
        builder.Services.AddSingleton<Repositories.RepositorySecretPolicy>();
        builder.Services.AddSingleton<Webhooks.WebhookReceiver>();
        builder.Services.AddSingleton(statuses);
        builder.Services.AddSingleton<Statuses.CommitStatusService>();
        Statuses.CommitStatusHttp.Add(builder.Services);
        builder.Services.AddSingleton<Statuses.CommitStatusLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Statuses.CommitStatusLoop>());
        Agents.AgentServices.Add(builder.Services);
        builder.Services.AddSingleton<Locks.LockSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Locks.LockSweeper>());
        GitLab.GitLabServices.Add(builder.Services, options, gitlab);
        builder.Services.AddSingleton(schedules);
        builder.Services.AddSingleton<Schedules.ScheduleService>();
        builder.Services.AddSingleton<Schedules.Scheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Schedules.Scheduler>());
        builder.Services.AddSingleton(services);
        builder.Services.AddSingleton<Hearth.Server.Services.ServiceDeployer>();
        builder.Services.AddSingleton<Hearth.Server.Services.ProjectService>();
        builder.Services.AddSingleton<Hearth.Server.Services.ServiceSecretFiles>();
        builder.Services.AddSingleton<Hearth.Server.Services.ServiceSecretRotation>();
        builder.Services.AddSingleton<Hearth.Server.Services.ExecRelay>();
        builder.Services.AddSingleton<Hearth.Server.Services.ReplicaExec>();
        builder.Services.AddSingleton<Hearth.Server.Services.ServiceReconcilerLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Hearth.Server.Services.ServiceReconcilerLoop>());
        builder.Services.AddApiDocuments();

        var app = builder.Build();
        ServerTelemetry.UseMetricsListener(app, options.Telemetry);
        AccessSetup.UseFront(app);
        app.UseMiddleware<ErrorMiddleware>();
        access.UseAccessControl(app);
        app.MapHealthEndpoints();
        ServerTelemetry.Map(app, options.Telemetry);
        app.MapRunEndpoints();
        app.MapBuildEndpoints();
        app.MapAgentEndpoints();
        app.MapImageEndpoints();
        Workflows.WorkflowEndpoints.MapWorkflowEndpoints(app);
        app.MapUserEndpoints();
        app.MapSecretEndpoints();
        app.MapAuditEndpoints();
        Locks.LockEndpoints.MapLockEndpoints(app);
        Repositories.RepositoryEndpoints.MapRepositoryEndpoints(app);
        Placement.AgentEndpoints.MapAgentListEndpoints(app);
        GitLab.GitLabEndpoints.MapGitLabEndpoints(app);
        GitLab.GitLabHookEndpoint.MapGitLabHook(app);
        Schedules.ScheduleEndpoints.MapScheduleEndpoints(app);
        Hearth.Server.Services.ProjectEndpoints.MapProjectEndpoints(app);
        app.MapApiDocuments();
        Web.WebEndpoints.MapWebEndpoints(app);
        app.MapFallback(
            (HttpContext http) =>
                ApiResults.Error(
                    StatusCodes.Status404NotFound,
                    "NOT_FOUND",
                    $"no endpoint {http.Request.Method} {http.Request.Path}"
                )
        );
        return new HearthServer(app, store, access.Store, areas);
    }

    public Task StopAsync(CancellationToken ct) => _app.StopAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _areas.DisposeAsync();
        if (Store is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
    }

    /// <summary>
    /// Fails fast, with one clear line, when the address is taken, before anything is started (the web host would
    /// otherwise log its own stack trace first). A race with another process is still caught by Kestrel.
    /// </summary>
    private static void EnsureListenable(string listen)
    {
        var (host, port) = SplitListen(listen);
        if (port == 0)
            return;
        var address = host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(host);
        var probe = new System.Net.Sockets.TcpListener(address, port);
        // As Kestrel binds: connections of a previous process still in TIME_WAIT do not make the port busy.
        probe.Server.SetSocketOption(
            System.Net.Sockets.SocketOptionLevel.Socket,
            System.Net.Sockets.SocketOptionName.ReuseAddress,
            true
        );
        try
        {
            probe.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new IOException($"cannot listen on {listen}: {e.Message}", e);
        }
        finally
        {
            probe.Stop();
        }
    }

    private static (string Host, int Port) SplitListen(string listen)
    {
        var colon = listen.LastIndexOf(':');
        return (listen[..colon].Trim('[', ']'), int.Parse(listen[(colon + 1)..]));
    }
}
