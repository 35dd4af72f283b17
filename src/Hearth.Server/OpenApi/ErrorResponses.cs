using System.Globalization;
using System.Text.Json.Nodes;
using Hearth.Core.Api;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Hearth.Server.OpenApi;

/// <summary>An operation's error answers: per status, <c>{"error","code","details"}</c> and its codes.</summary>
public static class ErrorResponses
{
    public static void Add(OpenApiOperation operation, IEnumerable<ErrorCodesMetadata> errors, OpenApiDocument document)
    {
        operation.Responses ??= [];
        foreach (var status in errors.GroupBy(e => e.Status).OrderBy(g => g.Key))
        {
            var codes = status.SelectMany(e => e.Codes).Distinct(StringComparer.Ordinal).ToList();
            operation.Responses[status.Key.ToString(CultureInfo.InvariantCulture)] = new OpenApiResponse
            {
                Description = $"{ReasonPhrases.GetReasonPhrase(status.Key)}: {string.Join(", ", codes)}",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = Schema(codes, document) },
                },
            };
        }
    }

    private static OpenApiSchema Schema(IReadOnlyList<string> codes, OpenApiDocument document) =>
        new()
        {
            AllOf =
            [
                new OpenApiSchemaReference(nameof(ErrorView), document),
                new OpenApiSchema
                {
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["code"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Enum = [.. codes.Select(c => (JsonNode)JsonValue.Create(c))],
                        },
                    },
                },
            ],
        };
}
