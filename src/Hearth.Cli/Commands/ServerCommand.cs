using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Server;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Commands;

public static class ServerCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c")
        {
            Description = "YAML config file (HEARTH_* variables override it)",
        };
        var listen = new Option<string?>("--listen") { Description = "host:port (overrides the config)" };
        var command = new Command("server", "Run the control plane (API, agent protocol, schedulers)")
        {
            config,
            listen,
        };
        command.SetAction(
            async (result, _) =>
            {
                var options = LoadOptions(result.GetValue(config), result.GetValue(listen));
                using var signal = new ShutdownSignal();
                HearthServer started;
                try
                {
                    started = await HearthServer.StartAsync(options, signal.Hard);
                }
                catch (IOException e)
                {
                    throw new CliException($"{e.Message} (set listen in the config, HEARTH_LISTEN or --listen)");
                }
                await using var server = started;
                var credentials = await Bootstrap.EnsureAsync(
                    server.Access,
                    TimeProvider.System,
                    new IdGenerator(),
                    signal.Hard
                );
                if (credentials is not null)
                {
                    Console.Error.WriteLine($"hearth: first start; admin API key: {credentials.AdminKey}");
                    Console.Error.WriteLine($"hearth: agent token: {credentials.AgentToken}");
                    Console.Error.WriteLine("hearth: these are shown once; only their hashes are stored");
                }
                Console.Error.WriteLine($"hearth: server listening on {server.Url}");
                await WaitAsync(signal.Drain);
                await server.StopAsync(CancellationToken.None);
                return 0;
            }
        );
        return command;
    }

    public static ServerOptions LoadOptions(string? file, string? listen)
    {
        var environment = Environment
            .GetEnvironmentVariables()
            .Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        if (listen is not null)
            environment[ServerConfigLoader.EnvName("listen")] = listen;
        try
        {
            return ServerConfigLoader.Load(file, environment);
        }
        catch (ConfigException e)
        {
            throw new CliException(e.Message, 2);
        }
    }

    public static async Task WaitAsync(CancellationToken token)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, token);
        }
        catch (OperationCanceledException) { }
    }
}
