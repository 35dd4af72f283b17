using System.Text.Json.Serialization;

namespace Hearth.Workflows.Inspection;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(WorkflowInspection))]
internal sealed partial class InspectionJsonContext : JsonSerializerContext;
