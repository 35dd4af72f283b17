namespace Hearth.Core.Runs;

/// <summary>The life of a run as a user sees it.</summary>
public enum RunState
{
    Starting,
    Running,
    Terminating,
    Succeeded,
    Failed,
    Stopped,
    TimedOut,
}
