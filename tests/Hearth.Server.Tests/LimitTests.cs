using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Auth;

namespace Hearth.Server.Tests;

public sealed class LimitTests
{
    [Fact]
    public async Task Guessing_keys_is_throttled_but_a_right_key_still_gets_in()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { AuthFailuresPerMinute = 5 },
            }
        );
        for (var i = 0; i < 5; i++)
            Assert.Equal(
                HttpStatusCode.Unauthorized,
                (await server.Client(ApiKeys.NewUserKey()).GetAsync("api/v1/runs")).StatusCode
            );
        var blocked = await server.Client(ApiKeys.NewUserKey()).GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Equal("TOO_MANY_FAILURES", await TestServer.CodeOf(blocked));
        Assert.Equal(HttpStatusCode.OK, (await server.Client(server.AdminKey).GetAsync("api/v1/runs")).StatusCode);
        var claim = await server.Client().PostAsync($"api/v1/claim/{ApiKeys.NewClaimToken()}", null);
        Assert.Equal(HttpStatusCode.TooManyRequests, claim.StatusCode);
    }

    [Fact]
    public async Task Guessing_claim_tokens_is_throttled_too()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { AuthFailuresPerMinute = 3 },
            }
        );
        for (var i = 0; i < 3; i++)
            Assert.Equal(
                HttpStatusCode.NotFound,
                (await server.Client().PostAsync($"api/v1/claim/{ApiKeys.NewClaimToken()}", null)).StatusCode
            );
        Assert.Equal(
            HttpStatusCode.TooManyRequests,
            (await server.Client().PostAsync($"api/v1/claim/{ApiKeys.NewClaimToken()}", null)).StatusCode
        );
    }

    [Fact]
    public async Task Each_key_has_its_own_request_budget_and_agents_are_not_limited_by_it()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { RequestsPerMinutePerKey = 5 },
            }
        );
        var other = await server.KeyForAsync("other@example.com", "viewer");
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
            responses.Add(await server.Client(server.AdminKey).GetAsync("api/v1/runs"));
        var limited = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("RATE_LIMITED", await TestServer.CodeOf(limited));
        Assert.True(limited.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.OK, (await server.Client(other).GetAsync("api/v1/runs")).StatusCode);
        for (var i = 0; i < 10; i++)
            Assert.Equal(
                HttpStatusCode.OK,
                (
                    await server
                        .Client(server.AgentToken)
                        .PostAsJsonAsync(
                            "api/v1/agent/register",
                            new RegisterAgentBody("a", [], 1, "t"),
                            HearthJson.Options
                        )
                ).StatusCode
            );
    }

    [Fact]
    public async Task Each_address_has_a_budget_over_all_its_keys()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { RequestsPerMinutePerIp = 4 },
            }
        );
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
            statuses.Add((await server.Client().GetAsync("api/v1/runs")).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_refused()
    {
        await using var server = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { MaxBodyBytes = 10_000 },
            }
        );
        var big = new CreateRunBody { Command = ["echo", new string('x', 20_000)] };
        var response = await server.Client(server.AdminKey).PostAsJsonAsync("api/v1/runs", big, HearthJson.Options);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Cors_is_off_unless_origins_are_configured()
    {
        await using (var closed = await TestServer.StartAsync())
        {
            var response = await closed.Client().SendAsync(Preflight());
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        await using var open = await TestServer.StartAsync(o =>
            o with
            {
                Access = o.Access with { CorsAllowedOrigins = ["https://ui.example.com"] },
            }
        );
        var allowed = await open.Client().SendAsync(Preflight());
        Assert.Equal("https://ui.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var other = Preflight();
        other.Headers.Remove("Origin");
        other.Headers.Add("Origin", "https://evil.example.com");
        Assert.False((await open.Client().SendAsync(other)).Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task The_server_speaks_tls_with_the_configured_certificate()
    {
        var dir = Directory.CreateTempSubdirectory("hearth-tls-").FullName;
        try
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest(
                "CN=localhost",
                rsa,
                HashAlgorithmName.SHA256,
                RSASignaturePadding.Pkcs1
            );
            using var certificate = request.CreateSelfSigned(
                DateTimeOffset.UtcNow.AddDays(-1),
                DateTimeOffset.UtcNow.AddDays(1)
            );
            var cert = Path.Combine(dir, "cert.pem");
            var key = Path.Combine(dir, "key.pem");
            await File.WriteAllTextAsync(cert, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(key, rsa.ExportPkcs8PrivateKeyPem());

            await using var server = await TestServer.StartAsync(o =>
                o with
                {
                    Access = o.Access with { TlsCertFile = cert, TlsKeyFile = key },
                }
            );
            Assert.Equal("https", server.Url.Scheme);
            var health = await server.Client().GetAsync("health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static HttpRequestMessage Preflight()
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "api/v1/runs");
        request.Headers.Add("Origin", "https://ui.example.com");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key");
        return request;
    }
}
