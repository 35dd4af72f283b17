using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Access;

public abstract partial class SqlAccessStore
{
    private const string UserColumns =
        "email, role, created_at, created_by, created_by_request_id, revoked_at, modified_by_request_id";
    private const string KeyColumns = "id, hash, kind, owner, role, created_at, revoked_at, last_used_at";

    public async Task<bool> CreateUserAsync(UserRecord user, ClaimTokenRecord? claim, CancellationToken ct)
    {
        try
        {
            return await WriteAsync(
                async (connection, tx) =>
                {
                    await ExecAsync(
                        connection,
                        tx,
                        $"INSERT INTO access_users ({UserColumns}) VALUES (@email, @role, @created, @by, @request, NULL, NULL);",
                        ct,
                        ("@email", user.Email),
                        ("@role", user.Role),
                        ("@created", Ms(user.CreatedAt)),
                        ("@by", user.CreatedBy),
                        ("@request", user.CreatedByRequestId)
                    );
                    if (claim is null)
                        return true;
                    await ExecAsync(
                        connection,
                        tx,
                        "INSERT INTO access_claim_tokens (hash, email, created_at, expires_at) VALUES (@hash, @email, @created, @expires);",
                        ct,
                        ("@hash", claim.Hash),
                        ("@email", claim.Email),
                        ("@created", Ms(claim.CreatedAt)),
                        ("@expires", Ms(claim.ExpiresAt))
                    );
                    return true;
                },
                ct
            );
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            return false;
        }
    }

    public Task<UserRecord?> GetUserAsync(string email, CancellationToken ct) =>
        ReadAsync(
            async connection =>
                (
                    await QueryAsync(
                        connection,
                        null,
                        $"SELECT {UserColumns} FROM access_users WHERE email = @email;",
                        ReadUser,
                        ct,
                        ("@email", email)
                    )
                ).FirstOrDefault(),
            ct
        );

    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<UserRecord>>(
            async connection =>
                await QueryAsync(
                    connection,
                    null,
                    $"SELECT {UserColumns} FROM access_users ORDER BY email;",
                    ReadUser,
                    ct
                ),
            ct
        );

    public Task<bool> RevokeUserAsync(string email, DateTimeOffset now, string requestId, CancellationToken ct) =>
        WriteAsync(
            async (connection, tx) =>
            {
                var found = await ExecAsync(
                    connection,
                    tx,
                    "UPDATE access_users SET revoked_at = COALESCE(revoked_at, @now), modified_by_request_id = @request WHERE email = @email;",
                    ct,
                    ("@now", Ms(now)),
                    ("@request", requestId),
                    ("@email", email)
                );
                if (found == 0)
                    return false;
                await ExecAsync(
                    connection,
                    tx,
                    "UPDATE access_keys SET revoked_at = @now WHERE owner = @email AND kind = 'User' AND revoked_at IS NULL;",
                    ct,
                    ("@now", Ms(now)),
                    ("@email", email)
                );
                // Its unused claim tokens stay, so that spending one says USER_REVOKED rather than "unknown token"; a
                // revoke is for good and a revoked email cannot be created again, so they can never make a key.
                return true;
            },
            ct
        );

    public Task<ClaimResult> ClaimAsync(
        string tokenHash,
        string keyId,
        string keyHash,
        DateTimeOffset now,
        string clientAddress,
        CancellationToken ct
    ) =>
        WriteAsync(
            async (connection, tx) =>
            {
                var claims = await QueryAsync(
                    connection,
                    tx,
                    "SELECT email, expires_at, used_at FROM access_claim_tokens WHERE hash = @hash;",
                    r => (Email: r.GetString(0), Expires: r.GetInt64(1), Used: !r.IsDBNull(2)),
                    ct,
                    ("@hash", tokenHash)
                );
                if (claims.Count == 0)
                    return new ClaimResult(ClaimOutcome.Unknown);
                var claim = claims[0];
                if (claim.Used)
                    return new ClaimResult(ClaimOutcome.AlreadyUsed);
                if (claim.Expires <= Ms(now))
                    return new ClaimResult(ClaimOutcome.Expired);
                var user = (
                    await QueryAsync(
                        connection,
                        tx,
                        $"SELECT {UserColumns} FROM access_users WHERE email = @email;",
                        ReadUser,
                        ct,
                        ("@email", claim.Email)
                    )
                ).FirstOrDefault();
                if (user is null || user.RevokedAt is not null)
                    return new ClaimResult(ClaimOutcome.UserRevoked, user);
                // The WHERE makes two concurrent claims of one token race on one row: only one sees a row updated.
                var spent = await ExecAsync(
                    connection,
                    tx,
                    "UPDATE access_claim_tokens SET used_at = @now, used_from = @from WHERE hash = @hash AND used_at IS NULL;",
                    ct,
                    ("@now", Ms(now)),
                    ("@from", clientAddress),
                    ("@hash", tokenHash)
                );
                if (spent == 0)
                    return new ClaimResult(ClaimOutcome.AlreadyUsed);
                await InsertKeyAsync(
                    connection,
                    tx,
                    new AccessKeyRecord(keyId, keyHash, KeyKind.User, user.Email, user.Role, now),
                    ct
                );
                return new ClaimResult(ClaimOutcome.Claimed, user);
            },
            ct
        );

    public Task CreateKeyAsync(AccessKeyRecord key, CancellationToken ct) =>
        WriteAsync(
            async (connection, tx) =>
            {
                await InsertKeyAsync(connection, tx, key, ct);
                return true;
            },
            ct
        );

    public Task<AccessKeyRecord?> FindKeyAsync(string hash, CancellationToken ct) =>
        ReadAsync(
            async connection =>
                (
                    await QueryAsync(
                        connection,
                        null,
                        $"SELECT {KeyColumns} FROM access_keys WHERE hash = @hash;",
                        ReadKey,
                        ct,
                        ("@hash", hash)
                    )
                ).FirstOrDefault(),
            ct
        );

    public Task<bool> AnyKeyAsync(KeyKind kind, CancellationToken ct) =>
        ReadAsync(
            async connection =>
                await ScalarAsync(
                    connection,
                    null,
                    "SELECT id FROM access_keys WHERE kind = @kind LIMIT 1;",
                    ct,
                    ("@kind", kind.ToString())
                )
                    is not null,
            ct
        );

    public Task TouchKeyAsync(string keyId, DateTimeOffset now, CancellationToken ct) =>
        WriteAsync(
            (connection, tx) =>
                ExecAsync(
                    connection,
                    tx,
                    "UPDATE access_keys SET last_used_at = @now WHERE id = @id;",
                    ct,
                    ("@now", Ms(now)),
                    ("@id", keyId)
                ),
            ct
        );

    private static Task<int> InsertKeyAsync(
        DbConnection connection,
        DbTransaction tx,
        AccessKeyRecord key,
        CancellationToken ct
    ) =>
        ExecAsync(
            connection,
            tx,
            $"INSERT INTO access_keys ({KeyColumns}) VALUES (@id, @hash, @kind, @owner, @role, @created, NULL, NULL);",
            ct,
            ("@id", key.Id),
            ("@hash", key.Hash),
            ("@kind", key.Kind.ToString()),
            ("@owner", key.Owner),
            ("@role", key.Role),
            ("@created", Ms(key.CreatedAt))
        );

    private static UserRecord ReadUser(DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), Time(r, 2)!.Value, r.GetString(3), Text(r, 4), Time(r, 5), Text(r, 6));

    private static AccessKeyRecord ReadKey(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            Enum.Parse<KeyKind>(r.GetString(2)),
            r.GetString(3),
            r.GetString(4),
            Time(r, 5)!.Value,
            Time(r, 6),
            Time(r, 7)
        );
}
