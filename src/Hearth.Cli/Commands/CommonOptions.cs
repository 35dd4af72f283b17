using System.CommandLine;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

/// <summary>Options every client command takes.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Server = new("--server")
    {
        Description = "Hearth server URL (default: config file, HEARTH_SERVER, http://127.0.0.1:7070)",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key (default: config file, HEARTH_API_KEY)",
        Recursive = true,
    };

    public static readonly Option<OutputFormat> Output = new("--output", "-o")
    {
        Description = "text or json",
        Recursive = true,
        DefaultValueFactory = _ => OutputFormat.Text,
        CustomParser = ParseFormat,
    };

    private static OutputFormat ParseFormat(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (
            Enum.TryParse<OutputFormat>(text, ignoreCase: true, out var format)
            && !char.IsAsciiDigit(text.FirstOrDefault())
        )
            return format;
        result.AddError($"--output: expected text or json, got '{text}'");
        return OutputFormat.Text;
    }

    public static HearthClient Client(ParseResult result) =>
        new(CliConfig.Load(result.GetValue(Server), result.GetValue(ApiKey)));
}
