using System.Net;
using System.Net.Http.Json;
using System.Text;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.Auth;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests;

public sealed class KeyAndClaimTests
{
    [Fact]
    public async Task A_claim_token_works_once()
    {
        await using var server = await TestServer.StartAsync();
        var token = await CreateUserAsync(server, "once@example.com", "developer");

        var first = await server.Client().PostAsync($"api/v1/claim/{token}", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var claimed = (await first.Content.ReadFromJsonAsync<ClaimView>(HearthJson.Options))!;
        Assert.Equal("once@example.com", claimed.UserEmail);
        Assert.Equal("developer", claimed.Role);

        var second = await server.Client().PostAsync($"api/v1/claim/{token}", null);
        Assert.Equal(HttpStatusCode.Gone, second.StatusCode);
        Assert.Equal("CLAIM_TOKEN_USED", await TestServer.CodeOf(second));

        var runs = await server.Client(claimed.ApiKey).GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.OK, runs.StatusCode);
    }

    [Fact]
    public async Task A_claim_token_expires_after_15_minutes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2025-03-01T10:00:00Z"));
        await using var server = await TestServer.StartAsync(time: time);
        var late = await CreateUserAsync(server, "late@example.com", "viewer");
        var onTime = await CreateUserAsync(server, "ontime@example.com", "viewer");

        time.Advance(TimeSpan.FromMinutes(14) + TimeSpan.FromSeconds(59));
        Assert.Equal(HttpStatusCode.OK, (await server.Client().PostAsync($"api/v1/claim/{onTime}", null)).StatusCode);
        time.Advance(TimeSpan.FromSeconds(1));
        var expired = await server.Client().PostAsync($"api/v1/claim/{late}", null);
        Assert.Equal(HttpStatusCode.Gone, expired.StatusCode);
        Assert.Equal("CLAIM_TOKEN_EXPIRED", await TestServer.CodeOf(expired));
    }

    [Fact]
    public async Task Unknown_claim_tokens_and_revoked_users_are_refused_with_their_codes()
    {
        await using var server = await TestServer.StartAsync();
        var unknown = await server.Client().PostAsync($"api/v1/claim/{ApiKeys.NewClaimToken()}", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("CLAIM_TOKEN_INVALID", await TestServer.CodeOf(unknown));

        var token = await CreateUserAsync(server, "gone@example.com", "viewer");
        Assert.Equal(
            HttpStatusCode.OK,
            (await server.Client(server.AdminKey).PostAsync("api/v1/users/gone@example.com/revoke", null)).StatusCode
        );
        var revoked = await server.Client().PostAsync($"api/v1/claim/{token}", null);
        Assert.Equal(HttpStatusCode.Forbidden, revoked.StatusCode);
        Assert.Equal("USER_REVOKED", await TestServer.CodeOf(revoked));
    }

    [Fact]
    public async Task Revoking_a_user_revokes_its_keys_with_their_own_code()
    {
        await using var server = await TestServer.StartAsync();
        var key = await server.KeyForAsync("leaver@example.com", "operator");
        Assert.Equal(HttpStatusCode.OK, (await server.Client(key).GetAsync("api/v1/runs")).StatusCode);

        var revoke = await server.Client(server.AdminKey).PostAsync("api/v1/users/leaver@example.com/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var after = await server.Client(key).GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("API_KEY_REVOKED", await TestServer.CodeOf(after));

        var users = await server
            .Client(server.AdminKey)
            .GetFromJsonAsync<UserListView>("api/v1/users", HearthJson.Options);
        Assert.True(users!.Users.Single(u => u.Email == "leaver@example.com").Revoked);
        Assert.Contains(users.Users, u => u.Email == Bootstrap.AdminName && u.Role == Roles.Admin);
    }

    [Fact]
    public async Task Users_are_validated_and_unique()
    {
        await using var server = await TestServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var badRole = await admin.PostAsJsonAsync(
            "api/v1/users",
            new CreateUserBody("x@example.com", "root"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Contains("role", await badRole.Content.ReadAsStringAsync());
        var badEmail = await admin.PostAsJsonAsync(
            "api/v1/users",
            new CreateUserBody("not an email", "viewer"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, badEmail.StatusCode);
        await CreateUserAsync(server, "twice@example.com", "viewer");
        var twice = await admin.PostAsJsonAsync(
            "api/v1/users",
            new CreateUserBody("twice@example.com", "viewer"),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("USER_EXISTS", await TestServer.CodeOf(twice));
    }

    [Fact]
    public async Task Keys_are_long_random_and_only_their_hashes_are_stored()
    {
        await using var server = await TestServer.StartAsync();
        var token = await CreateUserAsync(server, "hash@example.com", "viewer");
        var claimed = await (
            await server.Client().PostAsync($"api/v1/claim/{token}", null)
        ).Content.ReadFromJsonAsync<ClaimView>(HearthJson.Options);
        var key = claimed!.ApiKey;
        var random = Convert.FromBase64String(
            key[ApiKeys.UserPrefix.Length..].Replace('-', '+').Replace('_', '/') + "="
        );
        Assert.True(random.Length >= 24, $"key has {random.Length} random bytes");

        var stored = Encoding.ASCII.GetString(server.StoreBytes());
        foreach (var secret in (string[])[key, server.AdminKey, server.AgentToken, token])
        {
            Assert.DoesNotContain(secret, stored);
            Assert.DoesNotContain(secret[3..], stored);
        }
        Assert.Contains(ApiKeys.Hash(key), stored);
    }

    [Fact]
    public async Task Unknown_keys_are_401_and_a_failing_store_is_503_never_401()
    {
        await using var server = await TestServer.StartAsync();
        var unknown = await server.Client(ApiKeys.NewUserKey()).GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("INVALID_API_KEY", await TestServer.CodeOf(unknown));

        await using (var connection = new SqliteConnection($"Data Source={server.StoreFile}"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE access_keys RENAME TO access_keys_gone;";
            await command.ExecuteNonQueryAsync();
        }
        var broken = await server.Client(server.AdminKey).GetAsync("api/v1/runs");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, broken.StatusCode);
        Assert.Equal("SERVICE_UNAVAILABLE", await TestServer.CodeOf(broken));
    }

    [Fact]
    public void Hash_comparison_is_exact()
    {
        var key = ApiKeys.NewUserKey();
        Assert.True(ApiKeys.HashMatches(key, ApiKeys.Hash(key)));
        Assert.False(ApiKeys.HashMatches(key + "x", ApiKeys.Hash(key)));
        Assert.False(ApiKeys.HashMatches(key, ApiKeys.Hash(key)[..^1]));
    }

    private static async Task<string> CreateUserAsync(TestServer server, string email, string role)
    {
        var response = await server
            .Client(server.AdminKey)
            .PostAsJsonAsync("api/v1/users", new CreateUserBody(email, role), HearthJson.Options);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreatedUserView>(HearthJson.Options))!.ClaimToken;
    }
}
