using System.Text.Json;

namespace Hearth.Cli.Client;

/// <summary>The JSON options of every CLI call: the API's shape plus the CLI's own types.</summary>
public static class CliJson
{
    public static JsonSerializerOptions Options { get; } = Core.HearthJson.For(CliJsonContext.Default);
}
