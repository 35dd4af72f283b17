using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

/// <summary>The life of a run as a user sees it.</summary>
[JsonConverter(typeof(UpperSnakeEnumConverter<RunState>))]
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
