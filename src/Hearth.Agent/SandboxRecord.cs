using Hearth.Sandbox;

namespace Hearth.Agent;

/// <summary>
/// How far a task's output has been shipped: the log's line offset and the byte offsets it was cut from.
/// </summary>
public sealed record LogCheckpoint(long Line, long Stdout, long Stderr)
{
    public static LogCheckpoint Start { get; } = new(0, 0, 0);

    public OutputCursor Cursor => new(Stdout, Stderr);
}

/// <summary>
/// What an agent keeps on disk for each running sandbox, so that the next agent on the same state directory finds it
/// again: whose it is (task, attempt, lease epoch), the driver's handle, the task's workspace, and how far its output
/// has reached the server (<see cref="Shipped"/>, plus the chunk on its way when the agent died, if any). Never
/// secrets: the task's secret values live in the sandbox's environment only.
/// </summary>
public sealed record SandboxRecord(
    string TaskId,
    string RunId,
    long Epoch,
    int Attempt,
    SandboxHandle Handle,
    DateTimeOffset StartedAt,
    string? Workspace,
    LogCheckpoint Shipped,
    LogCheckpoint? InFlight = null
)
{
    /// <summary>
    /// A service replica's part (no secret values in it), so a recovered replica gets its DNS and health checks back.
    /// </summary>
    public Hearth.Core.Services.ServiceReplicaSpec? Service { get; init; }
}
