using Hearth.Store.Access;

namespace Hearth.Store.Tests;

/// <summary>
/// The access store (users, keys, claim tokens, secrets, audit) behaves the same on SQLite and PostgreSQL.
/// </summary>
public abstract class AccessStoreConformance(TestDatabase database) : AreaStoreConformance<IAccessStore>(database)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-24T08:00:00Z");

    protected override Task<IAccessStore> OpenAsync(TestDatabase database) =>
        database.OpenAsync<IAccessStore>(cs => new PostgresAccessStore(cs), path => new SqliteAccessStore(path));

    [Fact]
    public async Task Users_claim_once_and_revocation_reaches_their_keys()
    {
        var user = new UserRecord("dev@example.com", "developer", T0, "admin", "req-1");
        var claim = new ClaimTokenRecord("token-hash", user.Email, T0, T0.AddMinutes(15));
        Assert.True(await Store.CreateUserAsync(user, claim, None));
        Assert.False(await Store.CreateUserAsync(user, null, None));

        var first = await Store.ClaimAsync("token-hash", "k1", "key-hash", T0.AddMinutes(1), "127.0.0.1", None);
        Assert.Equal(ClaimOutcome.Claimed, first.Outcome);
        Assert.Equal(
            ClaimOutcome.AlreadyUsed,
            (await Store.ClaimAsync("token-hash", "k2", "key-hash-2", T0.AddMinutes(2), "127.0.0.1", None)).Outcome
        );
        Assert.Equal(ClaimOutcome.Unknown, (await Store.ClaimAsync("nope", "k3", "h3", T0, "127.0.0.1", None)).Outcome);
        var key = await Store.FindKeyAsync("key-hash", None);
        Assert.NotNull(key);
        Assert.Equal((KeyKind.User, "dev@example.com", "developer"), (key.Kind, key.Owner, key.Role));

        Assert.True(await Store.RevokeUserAsync(user.Email, T0.AddMinutes(3), "req-2", None));
        Assert.NotNull((await Store.FindKeyAsync("key-hash", None))!.RevokedAt);
        Assert.NotNull((await Store.GetUserAsync(user.Email, None))!.RevokedAt);
    }

    [Fact]
    public async Task An_unused_claim_token_of_a_revoked_user_is_refused_as_revoked_and_creates_no_key()
    {
        await Store.CreateUserAsync(
            new UserRecord("gone@example.com", "viewer", T0, "admin", null),
            new ClaimTokenRecord("gone", "gone@example.com", T0, T0.AddMinutes(15)),
            None
        );
        Assert.True(await Store.RevokeUserAsync("gone@example.com", T0.AddMinutes(1), "req-3", None));
        Assert.Equal(
            ClaimOutcome.UserRevoked,
            (await Store.ClaimAsync("gone", "k", "gone-key", T0.AddMinutes(2), "127.0.0.1", None)).Outcome
        );
        Assert.Null(await Store.FindKeyAsync("gone-key", None));
    }

    [Fact]
    public async Task An_expired_claim_token_is_refused()
    {
        await Store.CreateUserAsync(
            new UserRecord("late@example.com", "viewer", T0, "admin", null),
            new ClaimTokenRecord("late", "late@example.com", T0, T0.AddMinutes(15)),
            None
        );
        Assert.Equal(
            ClaimOutcome.Expired,
            (await Store.ClaimAsync("late", "k", "h", T0.AddMinutes(16), "127.0.0.1", None)).Outcome
        );
    }

    [Fact]
    public async Task Secrets_keep_their_ciphertext_and_scope_and_rewrite_in_one_go()
    {
        var secret = new SecretRecord(
            "db",
            "DB",
            "the db",
            "key-1",
            [1, 2, 3],
            "admin",
            T0,
            T0,
            "r1",
            "r1",
            ["https://git.example.com/*"]
        );
        Assert.True(await Store.CreateSecretAsync(secret, None));
        Assert.False(await Store.CreateSecretAsync(secret, None));
        var read = (await Store.GetSecretAsync("db", None))!;
        Assert.Equal([1, 2, 3], read.Ciphertext);
        Assert.Equal(["https://git.example.com/*"], read.Repositories);

        Assert.True(await Store.UpdateSecretAsync(read with { Repositories = [], Description = "changed" }, None));
        var updated = (await Store.GetSecretAsync("db", None))!;
        Assert.Empty(updated.Repositories);
        Assert.Equal("changed", updated.Description);

        Assert.Equal(1, await Store.RewriteSecretsAsync(s => s with { KeyId = "key-2", Ciphertext = [9] }, None));
        Assert.Equal("key-2", (await Store.GetSecretAsync("db", None))!.KeyId);
        Assert.Single(await Store.ListSecretsAsync(None));
        Assert.True(await Store.DeleteSecretAsync("db", None));
        Assert.Null(await Store.GetSecretAsync("db", None));
    }

    [Fact]
    public async Task Audit_entries_are_found_by_actor_time_and_request()
    {
        await Store.AppendAuditAsync(
            new AuditEntry("req-a", T0, "admin", "runs.create", "POST", "/api/v1/runs", "r1", 201, "ok", "127.0.0.1"),
            None
        );
        await Store.AppendAuditAsync(
            new AuditEntry(
                "req-b",
                T0.AddMinutes(5),
                "dev@example.com",
                "runs.kill",
                "POST",
                "/api/v1/runs/r1/kill",
                "r1",
                403,
                "denied",
                "127.0.0.2"
            ),
            None
        );
        Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Actor: "admin"), None));
        Assert.Equal(
            "req-b",
            Assert.Single(await Store.QueryAuditAsync(new AuditQuery(Since: T0.AddMinutes(1)), None)).RequestId
        );
        Assert.Equal(
            "denied",
            Assert.Single(await Store.QueryAuditAsync(new AuditQuery(RequestId: "req-b"), None)).Result
        );
    }
}

public sealed class SqliteAccessStoreTests() : AccessStoreConformance(new SqliteTestDatabase("hearth-access-"));

[Collection(PostgresCollection.Name)]
public sealed class PostgresAccessStoreTests(PostgresCluster cluster)
    : AccessStoreConformance(new PostgresTestDatabase(cluster));
