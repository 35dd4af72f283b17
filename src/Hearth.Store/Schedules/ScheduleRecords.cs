using Hearth.Core.Schedules;

namespace Hearth.Store.Schedules;

/// <summary>
/// A stored schedule. <paramref name="Target"/> says what it runs (<c>workflow</c>: <paramref name="Payload"/> is a
/// workflow plan; <c>command</c>: a run request), both as JSON. It runs as <paramref name="CreatedBy"/>.
/// <paramref name="Cursor"/> is the last fire time the scheduler has dealt with (fired or skipped); it starts at the
/// schedule's creation, so a schedule never fires for a time before it existed.
/// </summary>
public sealed record ScheduleRecord(
    string Id,
    string Name,
    string Spec,
    string? TimeZone,
    MissedRunPolicy Missed,
    string Target,
    string Payload,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset Cursor
)
{
    public string? Source { get; init; }

    public string? LastRunId { get; init; }

    public DateTimeOffset? LastFiredAt { get; init; }

    public string? LastError { get; init; }
}

/// <summary>What the scheduler made of one pass: the new cursor and, when it fired, the run or the error.</summary>
public sealed record ScheduleAdvance(DateTimeOffset Cursor, DateTimeOffset? FiredAt, string? RunId, string? Error);
