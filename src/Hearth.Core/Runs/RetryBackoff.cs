using System.Text.Json.Serialization;

namespace Hearth.Core.Runs;

/// <summary>How the wait grows from one retry to the next.</summary>
[JsonConverter(typeof(UpperSnakeEnumConverter<RetryBackoff>))]
public enum RetryBackoff
{
    /// <summary>delay, delay, delay, …</summary>
    Constant,

    /// <summary>delay, 2×delay, 4×delay, …</summary>
    Exponential,

    /// <summary>delay, delay, 2×delay, 3×delay, 5×delay, …</summary>
    Fibonacci,
}
