using System.CommandLine;
using System.Text.Json;
using Hearth.Agent;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Server;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Commands;

/// <summary>
/// Everything on one machine: a server on SQLite and one local agent, and the CLI configured to use them.
/// </summary>
public static class DevCommand
{
    internal sealed record DevCredentials(string AdminKey, string AgentToken);

    public static Command Create()
    {
        var listen = new Option<string>("--listen")
        {
            Description = "host:port",
            DefaultValueFactory = _ => "127.0.0.1:7070",
        };
        var data = new Option<string?>("--data")
        {
            Description = "Data directory (default: $XDG_DATA_HOME/hearth/dev)",
        };
        var capacity = new Option<int>("--capacity")
        {
            Description = "Tasks the local agent runs at once",
            DefaultValueFactory = _ => 4,
        };
        var grace = new Option<string>("--kill-grace")
        {
            Description = "Time between TERM and KILL",
            DefaultValueFactory = _ => "5s",
        };
        var labels = new Option<string?>("--labels")
        {
            Description = "Labels of the local agent, e.g. machine=build for workflows whose steps name that group",
        };
        var leaseTtl = new Option<string?>("--lease-ttl") { Description = "Lease time-to-live (default 20s)" };
        var userns = OciUserNamespaceOption.Create();
        var drivers = AgentCommand.DriversOption();
        var bindRoots = BindRootOption.Create();
        var allowCaps = AgentCommand.AllowCapsOption();
        var allowHostPorts = AgentCommand.AllowHostPortsOption();
        var command = new Command("dev", "Start a server (SQLite) and a local agent, and point the CLI at them")
        {
            listen,
            data,
            capacity,
            grace,
            leaseTtl,
            labels,
            drivers,
            userns,
            bindRoots,
            allowCaps,
            allowHostPorts,
        };
        command.SetAction(
            async (result, _) =>
            {
                var dataDir = Path.GetFullPath(
                    result.GetValue(data) ?? Path.Combine(ServerOptions.DefaultDataDir(), "dev")
                );
                var agentLabels = ParseLabels(result.GetValue(labels));
                var environment = new Dictionary<string, string?>
                {
                    [ServerConfigLoader.EnvName("listen")] = result.GetValue(listen),
                    [ServerConfigLoader.EnvName("data_dir")] = dataDir,
                };
                if (result.GetValue(leaseTtl) is { } ttl)
                {
                    environment[ServerConfigLoader.EnvName("leases.ttl")] = ttl;
                    if (Durations.TryParse(ttl, out var t))
                        environment[ServerConfigLoader.EnvName("leases.heartbeat")] = Durations.Format(t / 4);
                }
                ServerOptions options;
                try
                {
                    options = ServerConfigLoader.Load(null, environment);
                }
                catch (ConfigException e)
                {
                    throw new CliException(e.Message.Replace("environment variable HEARTH_", "--"), 2);
                }
                if (!Durations.TryParse(result.GetValue(grace), out var killGrace))
                    throw new CliException($"--kill-grace '{result.GetValue(grace)}': expected a duration", 2);
                var ids = OciUserNamespaceOption.Resolve(result.GetValue(userns)!);
                var agent = new AgentOptions
                {
                    Server = new Uri("http://127.0.0.1/"),
                    Token = "",
                    Name = "local",
                    Labels = agentLabels,
                    Capacity = result.GetValue(capacity),
                    ScratchRoot = Path.Combine(dataDir, "scratch"),
                    StateDirectory = Path.Combine(dataDir, "agent-state"),
                    KillGrace = killGrace,
                    FinishOnDrain = false,
                    AllowedDrivers = AgentCommand.ParseDrivers(result.GetValue(drivers)),
                    Services = new Agent.Services.ServiceRuntimeOptions
                    {
                        BindRoots = BindRootOption.Parse(result.GetValue(bindRoots)),
                    },
                    OciAllowedCapabilities = AgentCommand.ParseAllowedCapabilities(result.GetValue(allowCaps)),
                    OciAllowedHostPorts = AgentCommand.ParseAllowedHostPorts(result.GetValue(allowHostPorts)),
                };
                // Decided before anything starts: a dev that cannot sandbox refuses (or installs bubblewrap) up front.
                using var registryHttp = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                var driverSet = LocalDrivers(agent, ids, registryHttp);

                using var signal = new ShutdownSignal();
                using var loggers = Logging.Create(LogLevel.Warning);
                HearthServer server;
                try
                {
                    server = await HearthServer.StartAsync(options, signal.Hard, logLevel: LogLevel.Warning);
                }
                catch (IOException e)
                {
                    throw new CliException($"{e.Message} (choose another address with --listen)");
                }
                await using (server)
                {
                    var credentials = await CredentialsAsync(server, dataDir, signal.Hard);
                    var url = server.Url.ToString().TrimEnd('/');
                    CliConfig.Save(url, credentials.AdminKey);
                    Console.Out.WriteLine($"Hearth is running at {url}");
                    Console.Out.WriteLine($"Admin API key: {credentials.AdminKey}");
                    Console.Out.WriteLine(
                        $"CLI config written to {CliConfig.DefaultPath()}; try: hearth run -- echo hello"
                    );
                    Console.Out.Flush();

                    agent = agent with { Server = new Uri(url + "/"), Token = credentials.AgentToken };
                    await AgentCommand.RunAgentAsync(agent, driverSet, signal, loggers);
                    await server.StopAsync(CancellationToken.None);
                }
                Console.Error.WriteLine("hearth: stopped");
                return 0;
            }
        );
        return command;
    }

    /// <summary>
    /// The local agent's drivers; without --drivers and without a sandbox, bubblewrap is installed where it can be.
    /// </summary>
    private static DriverSet LocalDrivers(AgentOptions agent, Sandbox.Oci.IdMapping? ids, HttpClient registryHttp)
    {
        try
        {
            return AgentCommand.CreateDrivers(agent, ids, registryHttp);
        }
        catch (CliException e)
            when (e.ExitCode == 1 && agent.AllowedDrivers is null && BubblewrapInstaller.TryInstall())
        {
            return AgentCommand.CreateDrivers(agent, ids, registryHttp);
        }
    }

    /// <summary>
    /// The dev keys are kept in the data dir (0600) so that restarting dev keeps the CLI's config valid.
    /// </summary>
    private static async Task<DevCredentials> CredentialsAsync(
        HearthServer server,
        string dataDir,
        CancellationToken ct
    )
    {
        var path = Path.Combine(dataDir, "dev-credentials.json");
        if (File.Exists(path))
        {
            DevCredentials? saved;
            try
            {
                saved = JsonSerializer.Deserialize(
                    await File.ReadAllTextAsync(path, ct),
                    CliJson.Options.TypeInfo<DevCredentials>()
                );
            }
            catch (JsonException e)
            {
                throw new CliException(
                    $"{path}: not the dev keys this command wrote ({e.Message.Split(" Path:")[0]}); "
                        + "delete it to have new ones made"
                );
            }
            if (
                saved is { AdminKey: not null, AgentToken: not null }
                && await Bootstrap.IsKnownAsync(server.Access, saved.AdminKey, ct)
                && await Bootstrap.IsKnownAsync(server.Access, saved.AgentToken, ct)
            )
                return saved;
        }
        var fresh = new DevCredentials(ApiKeys.NewUserKey(), ApiKeys.NewAgentToken());
        await Bootstrap.AddAsync(
            server.Access,
            new Bootstrap.Credentials(fresh.AdminKey, fresh.AgentToken),
            TimeProvider.System,
            new IdGenerator(),
            ct
        );
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(
            path,
            JsonSerializer.Serialize(fresh, CliJson.Options.TypeInfo<DevCredentials>()),
            ct
        );
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return fresh;
    }

    private static Dictionary<string, string> ParseLabels(string? text)
    {
        try
        {
            return Core.Labels.LabelMatch.Parse(text);
        }
        catch (FormatException e)
        {
            throw new CliException($"--labels: {e.Message}", 2);
        }
    }
}
