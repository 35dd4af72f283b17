using Hearth.Core.Api;
using Hearth.Server.Api;

namespace Hearth.Server.Agents;

public enum ProtocolOutcome
{
    Ok,

    /// <summary>A field is wrong (<see cref="ProtocolResult{T}.Message"/> names it).</summary>
    Invalid,
    NotFound,

    /// <summary>The epoch is not the task's current lease.</summary>
    Stale,

    /// <summary>
    /// Lines start past what is stored (<see cref="ProtocolResult{T}.NextOffset"/>: where to send from).
    /// </summary>
    LogGap,
}

/// <summary>What <see cref="AgentProtocol"/> answers a call, before it is HTTP (<see cref="ToHttp"/>).</summary>
public sealed record ProtocolResult<T>(
    ProtocolOutcome Outcome,
    T? Value = default,
    string? Message = null,
    long NextOffset = 0
)
{
    public static ProtocolResult<T> Ok(T value) => new(ProtocolOutcome.Ok, value);

    public static ProtocolResult<T> Invalid(string message) => new(ProtocolOutcome.Invalid, Message: message);

    public static ProtocolResult<T> NotFound(string? message = null) => new(ProtocolOutcome.NotFound, Message: message);

    public static ProtocolResult<T> Stale() => new(ProtocolOutcome.Stale);

    public static ProtocolResult<T> Gap(long nextOffset) => new(ProtocolOutcome.LogGap, NextOffset: nextOffset);

    /// <summary>The HTTP answer; <paramref name="taskId"/> names the task of a stale or unknown task's error.</summary>
    public IResult ToHttp(string? taskId = null) =>
        Outcome switch
        {
            ProtocolOutcome.Ok => ApiResults.Json(Value),
            ProtocolOutcome.Invalid => ApiResults.Invalid(Message!),
            ProtocolOutcome.Stale => ApiResults.Stale(taskId ?? ""),
            ProtocolOutcome.LogGap => ApiResults.Error(
                StatusCodes.Status409Conflict,
                "LOG_GAP",
                $"expected lines from offset {NextOffset}",
                new LogChunkView(NextOffset)
            ),
            _ => ApiResults.NotFound(Message ?? $"no task with id '{taskId}'"),
        };
}
