using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth configure: asks for the server and the API key (or takes --server and HEARTH_API_KEY), checks them against
/// the server and saves them (file mode 0600). The key is read from the terminal, not taken as an argument, so it stays
/// out of ps.
/// </summary>
public static class ConfigureCommand
{
    public static Command Create()
    {
        var command = new Command(
            "configure",
            "Set the server URL and API key the CLI uses (prompts for what is not given)"
        );
        command.SetAction(
            async (result, ct) =>
            {
                var current = CliConfig.Load(
                    result.GetValue(CommonOptions.Server),
                    result.GetValue(CommonOptions.ApiKey)
                );
                var server = result.GetValue(CommonOptions.Server)
                    ?? (Prompt($"Server URL [{current.Server}]: ") is { Length: > 0 } typed ? typed : current.Server!);
                var key = result.GetValue(CommonOptions.ApiKey)
                    ?? (
                        Environment.GetEnvironmentVariable("HEARTH_API_KEY") is { Length: > 0 } fromEnv
                            ? fromEnv
                            : Prompt("API key: ")
                    );
                if (string.IsNullOrEmpty(key))
                    throw new CliException("no API key given", 2);
                using var client = new HearthClient(new CliConfig(server, key));
                await client.SendJsonAsync<RunListView>(HttpMethod.Get, "api/v1/runs?limit=1", null, ct);
                CliConfig.Save(client.Server, key);
                Console.Error.WriteLine(
                    $"hearth: {client.Server} answers with this key; saved to {CliConfig.DefaultPath()}"
                );
                return 0;
            }
        );
        return command;
    }

    private static string Prompt(string question)
    {
        Console.Error.Write(question);
        return Console.In.ReadLine()?.Trim() ?? "";
    }
}
