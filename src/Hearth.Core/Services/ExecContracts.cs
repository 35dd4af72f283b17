namespace Hearth.Core.Services;

/// <summary>
/// <c>POST /api/v1/projects/{name}/exec</c>: run <see cref="Command"/> in a replica of <see cref="Service"/>.
/// </summary>
/// <param name="Replica">Which replica (api-2: 2); null: the lowest-numbered running one.</param>
public sealed record ExecBody(string Service, IReadOnlyList<string> Command, int? Replica = null);

/// <summary>
/// One line of the exec's answer (newline-delimited JSON): a line of output (<see cref="Stream"/> stdout or stderr),
/// then one last line with the command's <see cref="ExitCode"/>, or with <see cref="Error"/> when it could not run.
/// </summary>
public sealed record ExecEventView(
    string? Stream = null,
    string? Text = null,
    int? ExitCode = null,
    string? Error = null,
    string? Replica = null
);

/// <summary>An agent's long-poll for exec sessions into the replicas it runs.</summary>
public sealed record ExecPollBody(string AgentId, double? WaitSeconds);

public sealed record ExecPollAnswer(IReadOnlyList<ExecSessionView> Sessions);

/// <summary>
/// An exec the agent is asked to run in the sandbox of task <see cref="TaskId"/> (under <see cref="Epoch"/>).
/// </summary>
public sealed record ExecSessionView(string SessionId, string TaskId, long Epoch, IReadOnlyList<string> Command);

/// <summary>
/// What an agent sends of a running exec: lines, and once it ended its exit code (or why it could not run).
/// </summary>
public sealed record ExecOutputBody(
    IReadOnlyList<ExecLine> Lines,
    bool Done = false,
    int? ExitCode = null,
    string? Error = null
);

/// <param name="Stream">stdout or stderr.</param>
public sealed record ExecLine(string Stream, string Text);

/// <summary>The <c>down -v</c> removals still to do: projects gone with their volumes (<c>volumes_removing</c> events)
/// that nothing has re-created since.</summary>
public sealed record VolumeRemovalsView(IReadOnlyList<VolumeRemovalView> Removals);

public sealed record VolumeRemovalView(long Seq, string Project, IReadOnlyList<string> Volumes);

/// <summary>An agent's report of the volumes of <see cref="Project"/> it removed.</summary>
public sealed record VolumesRemovedBody(string Agent, string Project, IReadOnlyList<string> Volumes);
