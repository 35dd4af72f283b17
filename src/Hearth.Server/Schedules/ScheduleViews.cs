using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Core.Schedules;
using Hearth.Store.Schedules;
using Hearth.Workflows.Schedules;

namespace Hearth.Server.Schedules;

/// <summary>A stored schedule as the API shows it, with its next fire time after now.</summary>
public static class ScheduleViews
{
    public static ScheduleView From(ScheduleRecord s, DateTimeOffset now)
    {
        var spec = ScheduleSpecParser.Parse(s.Spec);
        var zone = ScheduleZones.Resolve(s.TimeZone ?? "UTC");
        var after = now > s.Cursor ? now : s.Cursor;
        return new ScheduleView
        {
            Id = s.Id,
            Name = s.Name,
            Spec = s.Spec,
            TimeZone = s.TimeZone,
            Missed = s.Missed == MissedRunPolicy.Once ? "once" : "skip",
            Target = s.Target,
            Summary =
                s.Target == ScheduleTargets.Workflow
                    ? HearthJson.Deserialize<WorkflowPlan>(s.Payload)!.Name
                    : RunView.Summarize(HearthJson.Deserialize<CreateRunBody>(s.Payload)!.Command ?? []),
            Source = s.Source,
            CreatedBy = s.CreatedBy,
            CreatedAt = s.CreatedAt,
            NextFireAt = spec.Next(after, zone),
            LastFiredAt = s.LastFiredAt,
            LastRunId = s.LastRunId,
            LastError = s.LastError,
        };
    }
}
