namespace Hearth.Server.Schedules;

/// <summary>What a stored schedule runs: its <c>target</c> column.</summary>
public static class ScheduleTargets
{
    /// <summary>A workflow plan, created as <c>POST /api/v1/workflows/runs</c> creates one.</summary>
    public const string Workflow = "workflow";

    /// <summary>A command run request, created as <c>POST /api/v1/runs</c> creates one.</summary>
    public const string Command = "command";
}
