using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

/// <summary>The life of one task: what one agent executes in one sandbox.</summary>
[JsonConverter(typeof(UpperSnakeEnumConverter<TaskState>))]
public enum TaskState
{
    /// <summary>Waiting for an agent to lease it (first attempt or after a rescue).</summary>
    Pending,

    /// <summary>Granted to an agent under a lease; the sandbox is being prepared.</summary>
    Leased,
    Running,
    Succeeded,
    Failed,
    Stopped,
    TimedOut,

    /// <summary>Never ran, because a condition was false or an earlier step failed.</summary>
    Skipped,

    /// <summary>A workflow step whose predecessors have not ended yet; not offered to agents.</summary>
    Waiting,
}
