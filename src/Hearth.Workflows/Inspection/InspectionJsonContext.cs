using System.Text.Json.Serialization;

namespace Hearth.Workflows.Inspection;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<WorkflowInspectionRow>))]
internal sealed partial class InspectionJsonContext : JsonSerializerContext;
