namespace Hearth.Workflows.Schedules;

/// <summary>A schedule spec that does not parse; the message names the field and what was expected.</summary>
public sealed class ScheduleSpecException(string message) : Exception(message);
