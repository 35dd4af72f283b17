namespace Hearth.Core.Schedules;

/// <summary>What a schedule does about fire times that passed while no server ran it.</summary>
public enum MissedRunPolicy
{
    /// <summary>Nothing: the schedule fires again at its next time.</summary>
    Skip,

    /// <summary>One run, for the latest missed time, as soon as a server is back.</summary>
    Once,
}
