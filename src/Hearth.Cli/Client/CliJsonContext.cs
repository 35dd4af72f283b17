using System.Text.Json;
using System.Text.Json.Serialization;
using Hearth.Cli.Commands;
using Hearth.Cli.Playbooks;

namespace Hearth.Cli.Client;

/// <summary>
/// The CLI's own JSON types (what it prints or keeps on disk), generated at build time like the API's.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull
)]
[JsonSerializable(typeof(DevCommand.DevCredentials))]
[JsonSerializable(typeof(LocalImageListView))]
[JsonSerializable(typeof(PlaybookListView))]
[JsonSerializable(typeof(LocalImageView))]
[JsonSerializable(typeof(Playbook))]
[JsonSerializable(typeof(ReapReportView))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
