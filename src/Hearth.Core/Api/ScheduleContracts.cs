using Hearth.Core.Runs;

namespace Hearth.Core.Api;

/// <summary>
/// POST /api/v1/schedules: a named schedule that runs one workflow plan (<see cref="Workflow"/>, as
/// <c>hearth workflow run</c> sends it) or one command run (<see cref="Run"/>, as <c>POST /api/v1/runs</c> takes it),
/// as the caller, at each fire time of <see cref="Spec"/>.
/// </summary>
public sealed record CreateScheduleBody
{
    public string? Name { get; init; }

    public string? Spec { get; init; }

    /// <summary>IANA zone or fixed offset for a spec without a TZ= prefix; default UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary><c>skip</c> (default) or <c>once</c>.</summary>
    public string? Missed { get; init; }

    public WorkflowPlan? Workflow { get; init; }

    public CreateRunBody? Run { get; init; }

    /// <summary>Where the schedule was written, for people (<c>ci.kdl:3:1</c>).</summary>
    public string? Source { get; init; }
}

public sealed record ScheduleView
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Spec { get; init; }
    public string? TimeZone { get; init; }
    public required string Missed { get; init; }

    /// <summary><c>workflow</c> or <c>command</c>.</summary>
    public required string Target { get; init; }

    /// <summary>The workflow's name, or the command's argv joined by spaces (cut at 200 characters).</summary>
    public required string Summary { get; init; }
    public string? Source { get; init; }
    public required string CreatedBy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// The next fire time after now (with the zone's offset); absent when the spec never fires again.
    /// </summary>
    public DateTimeOffset? NextFireAt { get; init; }
    public DateTimeOffset? LastFiredAt { get; init; }
    public string? LastRunId { get; init; }

    /// <summary>
    /// Why the last fire time created no run (its owner was revoked, its driver is no longer allowed).
    /// </summary>
    public string? LastError { get; init; }
}

public sealed record ScheduleListView(IReadOnlyList<ScheduleView> Schedules);
