using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Hearth.Server.OpenApi;

/// <summary>
/// The document's frame: its title, the key schemes, the shared error schema, the tags its operations use, and
/// <c>/metrics</c>, the one endpoint that is not a route handler (Prometheus' exporter) and so has no generated entry.
/// </summary>
internal sealed class DocumentDescriber : IOpenApiDocumentTransformer
{
    public const string Bearer = "bearer";
    public const string ApiKey = "api_key";

    public async Task TransformAsync(
        OpenApiDocument document,
        OpenApiDocumentTransformerContext context,
        CancellationToken ct
    )
    {
        var agent = context.DocumentName == ApiDocuments.Agent;
        document.Info = new OpenApiInfo
        {
            Title = agent ? "Hearth agent protocol" : "Hearth API",
            Version = HealthEndpoints.Version,
            Description = agent
                ? "How agents register, lease tasks and report under the lease's epoch (agent tokens only). "
                    + "The public API is described in `/openapi/v1.json`."
                : "Hearth's HTTP API: runs, workflows, logs, locks, images, users, secrets and audit. JSON fields "
                    + "are snake_case; every error is `{\"error\", \"code\", \"details\"}`. The agent protocol is "
                    + "described apart, in `/openapi/agent-v1.json`.",
        };
        // Relative to wherever the document was fetched from, so the served and the printed documents are the same.
        document.Servers = [new OpenApiServer { Url = "/", Description = "the server that serves this document" }];

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = agent
                    ? "The agent token, as `Authorization: Bearer TOKEN`."
                    : "A user's API key, as `Authorization: Bearer KEY`.",
            },
            [ApiKey] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = "X-API-Key",
                Description = "The same key or token in `X-API-Key`.",
            },
        };
        document.Security =
        [
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] },
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, document)] = [] },
        ];
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(nameof(ErrorView)))
            document.AddComponent(nameof(ErrorView), await context.GetOrCreateSchemaAsync(typeof(ErrorView), null, ct));

        if (!agent)
            AddMetrics(document);
        var tags = (document.Paths ?? [])
            .Values.SelectMany(p => p.Operations?.Values.AsEnumerable() ?? [])
            .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        document.Tags = new HashSet<OpenApiTag>(
            tags.Select(t => new OpenApiTag { Name = t, Description = TagDescription(t) })
        );
    }

    private static string TagDescription(string tag) =>
        tag switch
        {
            "agent" => "The agent protocol: register, lease, heartbeat, logs, result.",
            "health" or "ready" => "Whether the server is up, and whether its store answers.",
            "metrics" => "Prometheus metrics.",
            "openapi" => "This API's own description.",
            "claim" => "Onboarding: a user claims its API key with a one-time token.",
            "trace" => "What one request did, from the audit trail.",
            _ => $"Endpoints under /api/v1/{tag}.",
        };

    private static void AddMetrics(OpenApiDocument document)
    {
        document.Paths ??= [];
        var operation = new OpenApiOperation
        {
            OperationId = "getMetrics",
            Summary = "Prometheus metrics",
            Description =
                "The server's metrics in Prometheus' text format (docs/observability.md). No API key: with metrics.token set, "
                + "the bearer token it names; with metrics.listen set, served only on that listener.",
            Tags = new HashSet<OpenApiTagReference> { new("metrics", document) },
            Security = [new OpenApiSecurityRequirement()],
            Responses = new OpenApiResponses
            {
                ["200"] = new OpenApiResponse
                {
                    Description = "OK",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                    },
                },
            },
        };
        var rule = Policy.Find("GET", "/metrics") ?? throw new InvalidOperationException("/metrics has no access rule");
        ErrorResponses.Add(operation, CommonErrors.For(rule, readsBody: false), document);
        document.Paths["/metrics"] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation },
        };
    }
}
