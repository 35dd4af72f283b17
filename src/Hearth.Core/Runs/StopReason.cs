using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

/// <summary>Why a stop was asked for; decides the terminal state once the sandbox is gone.</summary>
[JsonConverter(typeof(UpperSnakeEnumConverter<StopReason>))]
public enum StopReason
{
    None,
    Killed,
    TimedOut,
}
