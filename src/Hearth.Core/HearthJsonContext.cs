using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Core;

/// <summary>
/// Serialization code generated at build time for every type Hearth puts on the wire or in the store. A type missing
/// here fails at its first use in any build, not only in the Native AOT CLI: <see cref="HearthJson.Options"/> has no
/// reflection fallback. Types that are only details of an error (<see cref="ErrorView.Details"/>) must be listed too.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(HearthJson.TimeSpanSecondsConverter)])]
[JsonSerializable(typeof(CreateUserBody))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(CreatedUserView))]
[JsonSerializable(typeof(UserListView))]
[JsonSerializable(typeof(ClaimView))]
[JsonSerializable(typeof(SecretBody))]
[JsonSerializable(typeof(SecretView))]
[JsonSerializable(typeof(SecretListView))]
[JsonSerializable(typeof(SecretValueView))]
[JsonSerializable(typeof(AuditEntryView))]
[JsonSerializable(typeof(AuditListView))]
[JsonSerializable(typeof(TraceView))]
[JsonSerializable(typeof(RegisterAgentBody))]
[JsonSerializable(typeof(AgentDriverView))]
[JsonSerializable(typeof(List<AgentDriverView>))]
[JsonSerializable(typeof(RegisterAgentView))]
[JsonSerializable(typeof(AgentRef))]
[JsonSerializable(typeof(LeaseRequest))]
[JsonSerializable(typeof(LeaseAnswer))]
[JsonSerializable(typeof(Assignment))]
[JsonSerializable(typeof(ProtocolUnsupportedDetails))]
[JsonSerializable(typeof(RunningBody))]
[JsonSerializable(typeof(HeartbeatBody))]
[JsonSerializable(typeof(HeartbeatView))]
[JsonSerializable(typeof(LogChunkBody))]
[JsonSerializable(typeof(LogChunkView))]
[JsonSerializable(typeof(CompleteBody))]
[JsonSerializable(typeof(CompleteView))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(EmptyView))]
[JsonSerializable(typeof(AgentView))]
[JsonSerializable(typeof(LockView))]
[JsonSerializable(typeof(LockListView))]
[JsonSerializable(typeof(ReleaseLockBody))]
[JsonSerializable(typeof(ReleasedLockView))]
[JsonSerializable(typeof(LockBusyDetails))]
[JsonSerializable(typeof(RetryBody))]
[JsonSerializable(typeof(CreateRunBody))]
[JsonSerializable(typeof(RunView))]
[JsonSerializable(typeof(RunListView))]
[JsonSerializable(typeof(LogLineView))]
[JsonSerializable(typeof(LogPageView))]
[JsonSerializable(typeof(LogEndView))]
[JsonSerializable(typeof(ErrorView))]
[JsonSerializable(typeof(RegisterImageBody))]
[JsonSerializable(typeof(RegisteredImageView))]
[JsonSerializable(typeof(RegisteredImageListView))]
[JsonSerializable(typeof(CreateWorkflowRunBody))]
[JsonSerializable(typeof(CreateScheduleBody))]
[JsonSerializable(typeof(ScheduleView))]
[JsonSerializable(typeof(ScheduleListView))]
[JsonSerializable(typeof(WorkflowRunView))]
[JsonSerializable(typeof(AgentListView))]
[JsonSerializable(typeof(StartupView))]
[JsonSerializable(typeof(IdempotencyKeyReusedDetails))]
[JsonSerializable(typeof(TaskSpec))]
[JsonSerializable(typeof(WorkflowPlan))]
[JsonSerializable(typeof(List<AttemptRecord>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class HearthJsonContext : JsonSerializerContext;
