namespace Hearth.Workflows.Schedules;

/// <summary>How many fields a cron spec must have: any (5 or 6, told by counting), or exactly 5 or 6.</summary>
public enum ScheduleFormat
{
    Any,
    FiveFields,
    SixFields,
}
