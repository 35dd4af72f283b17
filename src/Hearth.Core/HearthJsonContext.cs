using System.Text.Json;
using System.Text.Json.Serialization;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Core;

/// <summary>
/// Serialization code generated at build time for the types on the hot paths (the run API, the agent protocol,
/// what the store keeps), so a short-lived CLI call or a busy server does not build it by reflection at run time.
/// Other types fall back to reflection through <see cref="HearthJson.Options"/>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateRunBody))]
[JsonSerializable(typeof(RunView))]
[JsonSerializable(typeof(RunListView))]
[JsonSerializable(typeof(LogLineView))]
[JsonSerializable(typeof(LogPageView))]
[JsonSerializable(typeof(LogEndView))]
[JsonSerializable(typeof(ErrorView))]
[JsonSerializable(typeof(RegisterAgentBody))]
[JsonSerializable(typeof(RegisterAgentView))]
[JsonSerializable(typeof(LeaseBody))]
[JsonSerializable(typeof(LeaseView))]
[JsonSerializable(typeof(EpochBody))]
[JsonSerializable(typeof(RunningBody))]
[JsonSerializable(typeof(HeartbeatBody))]
[JsonSerializable(typeof(HeartbeatView))]
[JsonSerializable(typeof(LogChunkBody))]
[JsonSerializable(typeof(LogChunkView))]
[JsonSerializable(typeof(CompleteBody))]
[JsonSerializable(typeof(CreateWorkflowRunBody))]
[JsonSerializable(typeof(WorkflowRunView))]
[JsonSerializable(typeof(TaskSpec))]
[JsonSerializable(typeof(WorkflowPlan))]
[JsonSerializable(typeof(List<AttemptRecord>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class HearthJsonContext : JsonSerializerContext;
