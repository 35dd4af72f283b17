using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hearth.Core;

/// <summary>
/// An enum as the wire and the store write it: <c>TimedOut</c> ↔ "TIMED_OUT". Placed on the enum type itself, so every
/// serialization context (and the Native AOT CLI, which has no reflection fallback) writes the same text.
/// </summary>
public sealed class UpperSnakeEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseUpper)
    where TEnum : struct, Enum;
