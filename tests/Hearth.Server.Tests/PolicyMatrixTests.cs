using System.Net;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.Tests;

/// <summary>
/// Every role × every endpoint, against resources someone else (the admin) created, so only role grants count.
/// </summary>
public sealed class PolicyMatrixTests : IAsyncLifetime
{
    /// <summary>
    /// The intended policy, written out independently of <see cref="Policy"/> so a change to the table shows up here.
    /// </summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["runs.create"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["runs.read"] = [Roles.Admin, Roles.Operator, Roles.Developer, Roles.Viewer],
        ["runs.kill"] = [Roles.Admin, Roles.Operator],
        ["agents.read"] = [Roles.Admin, Roles.Operator],
        ["users.create"] = [Roles.Admin],
        ["users.read"] = [Roles.Admin, Roles.Operator],
        ["users.revoke"] = [Roles.Admin],
        ["secrets.create"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["secrets.read"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["secrets.reveal"] = [Roles.Admin],
        ["secrets.update"] = [Roles.Admin, Roles.Operator],
        ["secrets.delete"] = [Roles.Admin, Roles.Operator],
        ["audit.read"] = [Roles.Admin],
        ["locks.read"] = [Roles.Admin, Roles.Operator, Roles.Developer, Roles.Viewer],
        ["locks.release"] = [Roles.Admin],
        ["images.read"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["images.register"] = [Roles.Admin, Roles.Operator],
        ["gitlab.manage"] = [Roles.Admin],
        ["gitlab.read"] = [Roles.Admin, Roles.Operator],
        ["repos.create"] = [Roles.Admin, Roles.Operator],
        ["repos.read"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["repos.update"] = [Roles.Admin, Roles.Operator],
        ["repos.delete"] = [Roles.Admin, Roles.Operator],
        ["repos.trigger"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        // Granting a secret to a repository gives it to everyone who can push there: admins only.
        ["repos.secrets"] = [Roles.Admin],
        // A schedule runs as its creator with the creator's role: creating one is starting runs later, as runs.create.
        ["schedules.create"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["schedules.read"] = [Roles.Admin, Roles.Operator, Roles.Developer, Roles.Viewer],
        ["schedules.delete"] = [Roles.Admin, Roles.Operator],
        // A project's replicas are deployment runs of its creator on the oci driver: deploying one is creating runs.
        ["projects.deploy"] = [Roles.Admin, Roles.Operator, Roles.Developer],
        ["projects.read"] = [Roles.Admin, Roles.Operator, Roles.Developer, Roles.Viewer],
        // With deploying; the handler further limits it to the project's creator and admins (NOT_OWNER).
        ["projects.exec"] = [Roles.Admin, Roles.Operator, Roles.Developer],
    };

    private TestServer _server = null!;
    private readonly Dictionary<string, string> _keys = new();
    private int _serial;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(o => o with { Access = o.Access with { AuthFailuresPerMinute = 1000 } });
        _keys[Roles.Admin] = _server.AdminKey;
        foreach (var role in (string[])[Roles.Operator, Roles.Developer, Roles.Viewer])
            _keys[role] = await _server.KeyForAsync($"{role}@example.com", role);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string> Roles_ => new() { Roles.Admin, Roles.Operator, Roles.Developer, Roles.Viewer };

    [Fact]
    public void Every_user_permission_in_the_table_has_an_expected_row()
    {
        var permissions = Policy
            .Endpoints.Where(r => r.Audience == Audience.User)
            .Select(r => r.Permission)
            .Distinct()
            .Order()
            .ToArray();
        Assert.Equal(Allowed.Keys.Order().ToArray(), permissions);
    }

    [Theory]
    [MemberData(nameof(Roles_))]
    public async Task Each_role_gets_exactly_its_grants_on_every_user_endpoint(string role)
    {
        var failures = new List<string>();
        foreach (var rule in Policy.Endpoints.Where(r => r.Audience == Audience.User))
        {
            var response = await SendAsync(rule, _keys[role]);
            var expectAllowed = Allowed[rule.Permission].Contains(role);
            var code = await TestServer.CodeOf(response);
            // Allowed: the endpoint itself answered (any 2xx-4xx of its own, for the placeholder ids and bodies sent),
            // never a refusal by the policy and never a server error. Refused: 403 FORBIDDEN, from the policy.
            var outcome = expectAllowed
                ? response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    && (int)response.StatusCode < 500
                : response.StatusCode == HttpStatusCode.Forbidden && code == "FORBIDDEN";
            if (!outcome)
                failures.Add(
                    $"{role} {rule.Method} {rule.Route}: {(int)response.StatusCode} {code}, expected {(expectAllowed ? "allowed" : "403 FORBIDDEN")}"
                );
        }
        Assert.Empty(failures);
    }

    /// <summary>
    /// /metrics (public in the table) without a metrics token: served to every role, the agent token and no key alike.
    /// </summary>
    [Fact]
    public async Task Metrics_without_a_metrics_token_answer_every_role_the_agent_token_and_no_key_alike()
    {
        foreach (var key in _keys.Values.Append(_server.AgentToken).Append(null))
        {
            var response = await _server.Client(key).GetAsync("/metrics");
            Assert.True(
                response.StatusCode == HttpStatusCode.OK,
                $"{key?[..6] ?? "no key"}: {(int)response.StatusCode}"
            );
        }
    }

    [Fact]
    public async Task Agent_tokens_are_refused_everywhere_but_the_agent_protocol()
    {
        foreach (var rule in Policy.Endpoints.Where(r => r.Audience == Audience.User))
        {
            var response = await SendAsync(rule, _server.AgentToken);
            Assert.True(
                response.StatusCode == HttpStatusCode.Forbidden,
                $"{rule.Method} {rule.Route}: {(int)response.StatusCode}"
            );
            Assert.Equal("FORBIDDEN", await TestServer.CodeOf(response));
        }
    }

    [Theory]
    [MemberData(nameof(Roles_))]
    public async Task User_keys_never_reach_the_agent_protocol(string role)
    {
        foreach (var rule in Policy.Endpoints.Where(r => r.Audience == Audience.Agent))
        {
            var response = await SendAsync(rule, _keys[role]);
            Assert.True(
                response.StatusCode == HttpStatusCode.Forbidden,
                $"{role} {rule.Method} {rule.Route}: {(int)response.StatusCode}"
            );
        }
    }

    [Fact]
    public async Task Agent_tokens_reach_every_agent_endpoint_and_only_with_a_protocol_version_the_server_speaks()
    {
        using var unversioned = new HttpClient { BaseAddress = _server.Url };
        unversioned.DefaultRequestHeaders.Add("X-API-Key", _server.AgentToken);
        var failures = new List<string>();
        foreach (var rule in Policy.Endpoints.Where(r => r.Audience == Audience.Agent))
        {
            // The agent token's client names the current protocol: the endpoint itself answers (its own 2xx-4xx for the
            // placeholder task and body), never a refusal of the token, never a server error.
            var answered = await SendAsync(rule, _server.AgentToken);
            if (
                answered.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                || (int)answered.StatusCode >= 500
                || await TestServer.CodeOf(answered) == AgentProtocolVersion.UnsupportedCode
            )
                failures.Add(
                    $"{rule.Method} {rule.Route}: {(int)answered.StatusCode} {await TestServer.CodeOf(answered)}"
                );
            var refused = await SendAsync(rule, _server.AgentToken, unversioned);
            if (
                refused.StatusCode != HttpStatusCode.BadRequest
                || await TestServer.CodeOf(refused) != AgentProtocolVersion.UnsupportedCode
            )
                failures.Add(
                    $"{rule.Method} {rule.Route} without a version: {(int)refused.StatusCode} {await TestServer.CodeOf(refused)}"
                );
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Without_a_key_every_non_public_endpoint_is_401()
    {
        foreach (var rule in Policy.Endpoints.Where(r => r.Audience != Audience.Public))
        {
            var response = await SendAsync(rule, null);
            Assert.True(
                response.StatusCode == HttpStatusCode.Unauthorized,
                $"{rule.Method} {rule.Route}: {(int)response.StatusCode}"
            );
            Assert.Equal("UNAUTHORIZED", await TestServer.CodeOf(response));
        }
    }

    [Fact]
    public void Every_mapped_endpoint_has_a_rule_and_every_rule_an_endpoint()
    {
        var mapped = _server
            .Server.Services.GetServices<EndpointDataSource>()
            .SelectMany(s => s.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(e =>
                (
                    e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["*"]
                ).Select(m => (Method: m, Route: e.RoutePattern.RawText!))
            )
            .ToList();
        foreach (var (method, route) in mapped)
            Assert.True(Policy.Find(method, route) is not null, $"no policy rule for {method} {route}");
        foreach (var rule in Policy.Endpoints)
            Assert.Contains(mapped, m => Policy.Find(m.Method, m.Route) == rule);
    }

    /// <summary>
    /// The API's OpenAPI documents (/openapi/*) are public: no key, any role's key, and an agent token alike.
    /// </summary>
    [Fact]
    public async Task The_api_documents_answer_every_caller()
    {
        var rules = Policy.Endpoints.Where(r => r.Route.StartsWith("/openapi/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(rules);
        string?[] keys = [null, _server.AgentToken, .. _keys.Values];
        foreach (var rule in rules)
        {
            Assert.Equal(Audience.Public, rule.Audience);
            foreach (var key in keys)
            {
                foreach (var name in (string[])["v1", "agent-v1"])
                {
                    var path = rule.Route.Replace("{documentName}", name).TrimStart('/');
                    var response = await _server
                        .Client(key)
                        .SendAsync(new HttpRequestMessage(new HttpMethod(rule.Method), path));
                    var who =
                        key is null ? "no key"
                        : key == _server.AgentToken ? "agent token"
                        : _keys.First(k => k.Value == key).Key;
                    Assert.True(
                        response.StatusCode == HttpStatusCode.OK,
                        $"{who} {rule.Method} {path}: {(int)response.StatusCode}"
                    );
                    Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                }
            }
        }
        var unknown = await _server.Client().GetAsync("openapi/v0.json");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("NOT_FOUND", await TestServer.CodeOf(unknown));
    }

    [Fact]
    public async Task An_unknown_role_is_granted_nothing()
    {
        Assert.False(Policy.IsGranted("auditor", "runs.read"));
        Assert.False(Policy.IsGranted(Roles.Agent, "runs.read"));
        var response = await _server
            .Client(_keys[Roles.Viewer])
            .PostAsJsonAsync("api/v1/secrets", new SecretBody("x", "value", null, null), HearthJson.Options);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    /// <summary>A well-formed request for the rule, on a fresh resource owned by the admin.</summary>
    private async Task<HttpResponseMessage> SendAsync(EndpointRule rule, string? key, HttpClient? client = null)
    {
        var n = Interlocked.Increment(ref _serial);
        var admin = _server.Client(_server.AdminKey);
        var path = rule.Route;
        if (path.Contains("{id}"))
        {
            if (rule.Audience == Audience.Agent)
                path = path.Replace("{id}", "nosuchtask-1");
            else
            {
                var run = await admin.PostAsJsonAsync(
                    "api/v1/runs",
                    new CreateRunBody { Command = ["true"] },
                    HearthJson.Options
                );
                path = path.Replace("{id}", (await run.Content.ReadFromJsonAsync<RunView>(HearthJson.Options))!.Id);
            }
        }
        if (path.StartsWith("/api/v1/schedules/{name}", StringComparison.Ordinal))
        {
            var name = $"matrix-{n}";
            Assert.Equal(
                HttpStatusCode.Created,
                (await admin.PostAsJsonAsync("api/v1/schedules", Schedule(name), HearthJson.Options)).StatusCode
            );
            path = path.Replace("{name}", name);
        }
        if (path.StartsWith("/api/v1/projects/{name}", StringComparison.Ordinal))
        {
            var name = $"matrix-{n}";
            Assert.Equal(
                HttpStatusCode.OK,
                (await admin.PutAsJsonAsync($"api/v1/projects/{name}", Project(name), HearthJson.Options)).StatusCode
            );
            path = path.Replace("{name}", name).Replace("{service}", "web");
        }
        path = path.Replace("{project}", "matrix").Replace("{network}", "default");
        if (path.Contains("{name}"))
        {
            var name = $"matrix-{n}";
            Assert.Equal(
                HttpStatusCode.Created,
                (
                    await admin.PostAsJsonAsync(
                        "api/v1/secrets",
                        new SecretBody(name, "matrix-value", null, null),
                        HearthJson.Options
                    )
                ).StatusCode
            );
            path = path.Replace("{name}", name);
        }
        if (path.Contains("{email}"))
        {
            var email = $"victim{n}@example.com";
            await admin.PostAsJsonAsync("api/v1/users", new CreateUserBody(email, "viewer"), HearthJson.Options);
            path = path.Replace("{email}", email);
        }
        path = path.Replace("{requestId}", "some-request").TrimStart('/');
        object? body = (rule.Method, rule.Permission) switch
        {
            ("POST", "runs.create") => new CreateRunBody { Command = ["true"] },
            ("POST", "users.create") => new CreateUserBody($"new{n}@example.com", "viewer"),
            ("POST", "secrets.create") => new SecretBody($"new-{n}", "new-value", null, null),
            ("POST", "schedules.create") => Schedule($"new-{n}"),
            ("PUT", "projects.deploy") => Project(path.Split('/').Last()),
            ("POST", "projects.deploy") => new Hearth.Core.Services.ScaleBody(2),
            ("PUT", _) => new SecretBody(null, "updated-value", null, null),
            ("POST", "agent.register") => new RegisterAgentBody("a", [], 1, "t"),
            ("POST", _) => new System.Text.Json.Nodes.JsonObject
            {
                ["epoch"] = 1,
                ["agent_id"] = "x",
                ["slots"] = 1,
                ["wait_seconds"] = 0,
            },
            _ => null,
        };
        var request = new HttpRequestMessage(new HttpMethod(rule.Method), path);
        if (body is not null)
            request.Content = JsonContent.Create(body, body.GetType(), options: HearthJson.Options);
        return await (client ?? _server.Client(key)).SendAsync(request);
    }

    private static Hearth.Core.Services.ProjectSpec Project(string name) =>
        new()
        {
            Name = name,
            Services = [new Hearth.Core.Services.ServiceDefinition { Name = "web", Image = "busybox" }],
        };

    private static CreateScheduleBody Schedule(string name) =>
        new()
        {
            Name = name,
            Spec = "@daily",
            Run = new CreateRunBody { Command = ["true"], Driver = "bubblewrap" },
        };
}
