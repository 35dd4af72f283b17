using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hearth.Core;

/// <summary>An enum written in lower snake case on the wire: <c>WorkflowStep</c> ↔ "workflow_step".</summary>
public sealed class LowerSnakeEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower)
    where TEnum : struct, Enum;
