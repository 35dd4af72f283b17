using System.Text.Json.Nodes;
using Hearth.Server.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hearth.Server.OpenApi;

/// <summary>
/// Adds to each generated operation what its handler's signature cannot say: who may call it (from its
/// <see cref="Policy"/> rule), the error codes it can answer, its Server-Sent Events, and a tag, id and summary when
/// the endpoint names none (so an endpoint added later is described with no extra step).
/// </summary>
internal sealed class OperationDescriber : IOpenApiOperationTransformer
{
    public async Task TransformAsync(
        OpenApiOperation operation,
        OpenApiOperationTransformerContext context,
        CancellationToken ct
    )
    {
        var description = context.Description;
        var route = "/" + description.RelativePath;
        var method = description.HttpMethod ?? "GET";
        var rule = ApiDocuments.RuleOf(description)
            ?? throw new InvalidOperationException($"{method} {route} has no access rule in Policy");
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var document = context.Document ?? throw new InvalidOperationException("an operation outside a document");

        var path = OpenApiPaths.Of(route);
        operation.Tags = new HashSet<OpenApiTagReference> { new(OpenApiPaths.TagOf(path), document) };
        operation.OperationId ??= OpenApiPaths.OperationIdOf(method, path);
        operation.Summary ??= $"{method} {path}";
        Describe(operation, rule, document);

        var readsBody = metadata.OfType<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>().Any();
        var errors = CommonErrors.For(rule, readsBody).Concat(metadata.OfType<ErrorCodesMetadata>());
        ErrorResponses.Add(operation, errors, document);

        if (metadata.OfType<EventStreamMetadata>().FirstOrDefault() is { } stream)
            await AddStreamAsync(operation, stream, context, document, ct);
    }

    /// <summary>Who may call it, in words and as data (<c>x-hearth-permission</c>, <c>x-hearth-roles</c>).</summary>
    private static void Describe(OpenApiOperation operation, EndpointRule rule, OpenApiDocument document)
    {
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        string who;
        if (rule.Audience == Audience.Public)
        {
            who = "No key needed.";
            operation.Security = [new OpenApiSecurityRequirement()];
        }
        else
        {
            operation.Security =
            [
                new() { [new OpenApiSecuritySchemeReference(DocumentDescriber.Bearer, document)] = [] },
                new() { [new OpenApiSecuritySchemeReference(DocumentDescriber.ApiKey, document)] = [] },
            ];
            operation.Extensions["x-hearth-permission"] = new JsonNodeExtension(JsonValue.Create(rule.Permission));
            if (rule.Audience == Audience.Agent)
            {
                who = "Agent tokens only.";
                operation.Parameters ??= [];
                operation.Parameters.Add(
                    new OpenApiParameter
                    {
                        Name = Core.Api.AgentProtocolVersion.Header,
                        In = ParameterLocation.Header,
                        Required = true,
                        Description =
                            "The agent protocol version the agent speaks; another is refused with AGENT_PROTOCOL_UNSUPPORTED.",
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Enum =
                            [
                                JsonValue.Create(
                                    Core.Api.AgentProtocolVersion.Current.ToString(
                                        System.Globalization.CultureInfo.InvariantCulture
                                    )
                                ),
                            ],
                        },
                    }
                );
            }
            else
            {
                var roles = Roles.UserRoles.Where(role => Policy.IsGranted(role, rule.Permission)).ToList();
                operation.Extensions["x-hearth-roles"] = new JsonNodeExtension(
                    new JsonArray([.. roles.Select(r => JsonValue.Create(r))])
                );
                var owned = rule.Owner.ToString().ToLowerInvariant();
                var own = rule.Owner == Owned.No ? "" : $"; any user key on a {owned} it created";
                who = $"Needs `{rule.Permission}`: {(roles.Count == 0 ? "no role" : string.Join(", ", roles))}{own}.";
            }
        }
        operation.Description = operation.Description is { Length: > 0 } text ? $"{text}\n\n{who}" : who;
    }

    /// <summary>
    /// OpenAPI 3.1 has no schema for one event of a stream: the <c>text/event-stream</c> body is described as the list
    /// of its events, each an object of its SSE fields whose <c>data</c> is the JSON of a named schema.
    /// </summary>
    private static async Task AddStreamAsync(
        OpenApiOperation operation,
        EventStreamMetadata stream,
        OpenApiOperationTransformerContext context,
        OpenApiDocument document,
        CancellationToken ct
    )
    {
        var events = new List<IOpenApiSchema>();
        foreach (var item in stream.Events)
        {
            var id = item.Data.Name;
            document.Components ??= new OpenApiComponents();
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            if (!document.Components.Schemas.ContainsKey(id))
                document.AddComponent(id, await context.GetOrCreateSchemaAsync(item.Data, null, ct));
            events.Add(
                new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Description = item.Description,
                    Required = new HashSet<string> { "event", "data" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["event"] = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            Enum = [JsonValue.Create(item.Name)],
                        },
                        ["id"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        ["data"] = new OpenApiSchemaReference(id, document),
                    },
                }
            );
        }
        operation.Responses ??= [];
        if (!operation.Responses.TryGetValue("200", out var ok) || ok is not OpenApiResponse response)
            operation.Responses["200"] = response = new OpenApiResponse { Description = "OK" };
        response.Content ??= new Dictionary<string, OpenApiMediaType>();
        response.Content["text/event-stream"] = new OpenApiMediaType
        {
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = stream.Description,
                Items = new OpenApiSchema { OneOf = events },
            },
        };
    }
}
