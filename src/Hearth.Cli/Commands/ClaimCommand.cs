using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth claim TOKEN: exchanges a one-time claim token for an API key and saves both server and key in the CLI config.
/// </summary>
public static class ClaimCommand
{
    public static Command Create()
    {
        var token = new Argument<string>("token") { Description = "The claim token from 'hearth users create'" };
        var command = new Command("claim", "Exchange a one-time claim token for an API key, saved in the CLI config")
        {
            token,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var config = CliConfig.Load(result.GetValue(CommonOptions.Server), null);
                using var client = new HearthClient(config, anonymous: true);
                var claimed = await client.SendJsonAsync<ClaimView>(
                    HttpMethod.Post,
                    $"api/v1/claim/{Uri.EscapeDataString(result.GetValue(token)!)}",
                    null,
                    ct
                );
                CliConfig.Save(client.Server, claimed.ApiKey);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(claimed with { ApiKey = "***" });
                Console.Error.WriteLine(
                    $"hearth: key for {claimed.UserEmail} ({claimed.Role}) saved to {CliConfig.DefaultPath()}"
                );
                return 0;
            }
        );
        return command;
    }
}
