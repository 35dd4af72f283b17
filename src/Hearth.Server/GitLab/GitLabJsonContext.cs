using System.Text.Json.Serialization;

namespace Hearth.Server.GitLab;

/// <summary>GitLab's runner API wire types, serialized by generated code (the server ships as Native AOT).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull
)]
[JsonSerializable(typeof(VerifyRunnerRequest))]
[JsonSerializable(typeof(VerifyRunnerResponse))]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobResponse))]
[JsonSerializable(typeof(UpdateJobRequest))]
[JsonSerializable(typeof(List<JobVariable>))]
[JsonSerializable(typeof(string[]))]
public sealed partial class GitLabJsonContext : JsonSerializerContext;
