using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Auth;
using Json.Schema;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Tests;

/// <summary>
/// The OpenAPI documents against the server itself: the routes ASP.NET Core maps against the documented paths, both
/// ways, and real answers against the schemas the documents give for them.
/// </summary>
public sealed partial class OpenApiDocumentTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private JsonObject _public = null!;
    private JsonObject _agent = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _public = await DocumentAsync("v1");
        _agent = await DocumentAsync("agent-v1");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Every_mapped_route_is_documented_and_every_documented_path_is_mapped()
    {
        var mapped = _server
            .Server.Services.GetServices<EndpointDataSource>()
            .SelectMany(s => s.Endpoints)
            .OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Pattern: e.RoutePattern.RawText!))
            .Where(e => Policy.Find("GET", e.Pattern)?.Permission != "unknown") // the 404 fallback
            // Web UI pages: not the API.
            .Where(e => e.Endpoint.Metadata.GetMetadata<Hearth.Server.Web.WebPageMarker>() is null)
            .SelectMany(e =>
                (e.Endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m =>
                    (Method: m, Path: PathOf(e.Pattern), Agent: e.Pattern.StartsWith("/api/v1/agent/"))
                )
            )
            .ToList();
        var documented = Operations(_public)
            .Select(o => (o.Method, o.Path, Agent: false))
            .Concat(Operations(_agent).Select(o => (o.Method, o.Path, Agent: true)))
            .ToList();

        Assert.True(mapped.Count > 30, $"only {mapped.Count} routes found");
        foreach (var route in mapped)
        {
            var found = documented.Any(d =>
                d.Path == route.Path && (route.Method == "*" || d.Method == route.Method) && d.Agent == route.Agent
            );
            var document = route.Agent ? "agent-v1" : "v1";
            Assert.True(found, $"{route.Method} {route.Path} is mapped but not in the {document} document");
        }
        foreach (var operation in documented)
        {
            Assert.True(
                mapped.Any(r => r.Path == operation.Path && (r.Method == "*" || r.Method == operation.Method)),
                $"{operation.Method} {operation.Path} is documented but not mapped"
            );
        }
    }

    [Fact]
    public async Task The_served_document_is_the_one_hearth_api_spec_prints()
    {
        foreach (var name in (string[])["v1", "agent-v1"])
        {
            var served = await _server.Client().GetStringAsync($"openapi/{name}.json");
            Assert.Equal(served, await HearthServer.DescribeAsync(name, CancellationToken.None));
        }
    }

    [Fact]
    public void Fields_are_named_as_the_wire_names_them()
    {
        var run = Schemas(_public)["RunView"]!["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("created_at", run);
        Assert.Contains("exit_code", run);
        Assert.DoesNotContain("createdAt", run);
        Assert.Equal("string", Schemas(_public)["RunState"]!["type"]!.GetValue<string>());
        var states = Schemas(_public)["RunState"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>());
        Assert.Contains("TIMED_OUT", states);
    }

    [Fact]
    public void Keys_agent_routes_and_event_streams_are_described()
    {
        Assert.Equal("bearer", _public["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        var list = Operation(_public, "get", "/api/v1/runs");
        Assert.Equal("runs.read", list["x-hearth-permission"]!.GetValue<string>());
        Assert.Equal(["UNAUTHORIZED", "INVALID_API_KEY", "API_KEY_REVOKED"], Codes(list, "401"));
        Assert.Empty(Operation(_public, "get", "/health")["security"]!.AsArray()[0]!.AsObject());
        Assert.DoesNotContain(_public["paths"]!.AsObject(), p => p.Key.StartsWith("/api/v1/agent/"));
        Assert.Contains("STALE_LEASE", Codes(Operation(_agent, "post", "/api/v1/agent/tasks/{id}/heartbeat"), "409"));
        var logs = Operation(_public, "get", "/api/v1/runs/{id}/logs")["responses"]!["200"]!["content"]!;
        Assert.NotNull(logs["application/json"]);
        var events = logs["text/event-stream"]!["schema"]!["items"]!["oneOf"]!
            .AsArray()
            .Select(e => e!["properties"]!["event"]!["enum"]![0]!.GetValue<string>());
        Assert.Equal(["line", "end"], events);
    }

    [Fact]
    public async Task A_run_a_run_list_and_an_error_match_their_schemas()
    {
        var admin = _server.Client(_server.AdminKey);
        var body = new CreateRunBody
        {
            Command = ["echo", "hi"],
            Env = new() { ["A"] = "b" },
        };
        var created = await admin.PostAsJsonAsync("api/v1/runs", body, HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var run = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        AssertMatches(Operation(_public, "post", "/api/v1/runs"), "201", run);

        var list = await admin.GetAsync("api/v1/runs?limit=5");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var runs = JsonNode.Parse(await list.Content.ReadAsStringAsync())!;
        Assert.NotEmpty(runs["runs"]!.AsArray());
        AssertMatches(Operation(_public, "get", "/api/v1/runs"), "200", runs);

        var missing = await admin.GetAsync("api/v1/runs/no-such-run");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var error = JsonNode.Parse(await missing.Content.ReadAsStringAsync())!;
        AssertMatches(Operation(_public, "get", "/api/v1/runs/{id}"), "404", error);

        // The check can fail: a field the schema does not name, a wrong code or a wrong type are each refused.
        var camel = run.DeepClone().AsObject();
        camel["createdAt"] = camel["created_at"]!.DeepClone();
        camel.Remove("created_at");
        Assert.False(Matches(Operation(_public, "post", "/api/v1/runs"), "201", camel));
        var otherCode = error.DeepClone();
        otherCode["code"] = "LOCK_BUSY";
        Assert.False(Matches(Operation(_public, "get", "/api/v1/runs/{id}"), "404", otherCode));
        var wrongType = runs.DeepClone();
        wrongType["runs"]![0]!["exit_code"] = "zero";
        Assert.False(Matches(Operation(_public, "get", "/api/v1/runs"), "200", wrongType));
    }

    private void AssertMatches(JsonNode operation, string status, JsonNode body)
    {
        var results = Evaluate(operation, status, body);
        var errors = results
            .Details?.Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"))
            ?? [];
        Assert.True(
            results.IsValid,
            $"{status} answer does not match its schema:\n{string.Join("\n", errors)}\n{body.ToJsonString()}"
        );
    }

    private bool Matches(JsonNode operation, string status, JsonNode body) => Evaluate(operation, status, body).IsValid;

    /// <summary>
    /// The response's schema, with the document's component schemas as <c>$defs</c> (OpenAPI 3.1 schemas are JSON
    /// Schema 2020-12). Each component that names its properties is closed (<c>unevaluatedProperties: false</c>), so a
    /// field the document does not name, as a camelCase one would be, fails instead of passing unseen.
    /// </summary>
    private EvaluationResults Evaluate(JsonNode operation, string status, JsonNode body)
    {
        var content = operation["responses"]![status]!["content"]!;
        var schema = content["application/json"]!["schema"]!.DeepClone().AsObject();
        var defs = Schemas(_public).DeepClone().AsObject();
        foreach (var (_, def) in defs)
        {
            if (def is JsonObject component && component.ContainsKey("properties"))
                component["unevaluatedProperties"] = false;
        }
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        schema["$defs"] = defs;
        var text = schema.ToJsonString().Replace("#/components/schemas/", "#/$defs/");
        var compiled = JsonSchema.FromText(
            text,
            new BuildOptions { SchemaRegistry = new SchemaRegistry() },
            new Uri($"https://hearth.test/{Guid.NewGuid():N}.json")
        );
        using var instance = JsonDocument.Parse(body.ToJsonString());
        var options = new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true };
        return compiled.Evaluate(instance.RootElement, options);
    }

    private async Task<JsonObject> DocumentAsync(string name)
    {
        var response = await _server.Client().GetAsync($"openapi/{name}.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("3.1.1", document["openapi"]!.GetValue<string>());
        return document;
    }

    private static JsonObject Schemas(JsonObject document) => document["components"]!["schemas"]!.AsObject();

    private static JsonNode Operation(JsonObject document, string method, string path) =>
        document["paths"]![path]?[method] ?? throw new Xunit.Sdk.XunitException($"no {method} {path} in the document");

    private static List<string> Codes(JsonNode operation, string status) =>
        operation["responses"]![status]!["content"]!["application/json"]!["schema"]!["allOf"]![1]!["properties"]![
            "code"
        ]!["enum"]!
            .AsArray()
            .Select(c => c!.GetValue<string>())
            .ToList();

    private static IEnumerable<(string Method, string Path)> Operations(JsonObject document) =>
        document["paths"]!
            .AsObject()
            .SelectMany(p =>
                p.Value!.AsObject()
                    .Where(o => o.Key is "get" or "put" or "post" or "delete" or "patch" or "head" or "options")
                    .Select(o => (o.Key.ToUpperInvariant(), p.Key))
            );

    [GeneratedRegex(@"\{\*?([A-Za-z0-9_]+)(:[^}]*)?\}")]
    private static partial Regex RouteParameter();

    /// <summary>
    /// A route pattern as an OpenAPI path: <c>{*reference}</c> → <c>{reference}</c>, no trailing slash.
    /// </summary>
    private static string PathOf(string pattern)
    {
        var path = RouteParameter().Replace(pattern, m => "{" + m.Groups[1].Value + "}");
        return path.Length > 1 ? path.TrimEnd('/') : path;
    }
}
