using System.Text.Json.Serialization;
using Hearth.Sandbox;

namespace Hearth.Agent;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(SandboxRecord))]
[JsonSerializable(typeof(SandboxHandle))]
[JsonSerializable(typeof(LogCheckpoint))]
internal sealed partial class AgentStateJson : JsonSerializerContext;
