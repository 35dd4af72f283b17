using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hearth.Server.OpenApi;

/// <summary>Hearth's enums travel as strings (<c>"TIMED_OUT"</c>): say so beside their values.</summary>
internal sealed class EnumTypes : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Enum is { Count: > 0 } && schema.Type is null && context.JsonTypeInfo.Type.IsEnum)
            schema.Type = JsonSchemaType.String;
        return Task.CompletedTask;
    }
}
