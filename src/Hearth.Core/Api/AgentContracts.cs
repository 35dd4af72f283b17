using Hearth.Core.Logs;
using Hearth.Core.Runs;

namespace Hearth.Core.Api;

public sealed record RegisterAgentBody(string Name, Dictionary<string, string> Labels, int Capacity, string Version);

public sealed record RegisterAgentView(string AgentId, double LeaseTtlSeconds, double HeartbeatSeconds, double LongPollSeconds);

public sealed record LeaseBody(string AgentId, double? WaitSeconds);

/// <summary>
/// A granted task. Every later call about it carries <see cref="Epoch"/>. <see cref="SecretEnv"/> holds the decrypted
/// secrets the spec names (variable → value), added to this answer only, never to the stored spec.
/// </summary>
public sealed record LeaseView(string TaskId, string RunId, long Epoch, int Attempt, TaskSpec Spec, DateTimeOffset ExpiresAt,
    IReadOnlyDictionary<string, string>? SecretEnv = null);

public sealed record EpochBody(long Epoch);

public sealed record HeartbeatBody(long Epoch, double? WaitSeconds);

public sealed record HeartbeatView(StopReason Stop, DateTimeOffset? LeaseExpiresAt);

public sealed record LogChunkBody(long Epoch, long Offset, IReadOnlyList<AgentLogLine> Lines);

public sealed record LogChunkView(long NextOffset);

public sealed record CompleteBody(long Epoch, int? ExitCode, bool OomKilled, string? Error);
