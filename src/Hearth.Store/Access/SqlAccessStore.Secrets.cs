using System.Data.Common;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.Access;

public abstract partial class SqlAccessStore
{
    private const string SecretColumns =
        "name, env_name, description, key_id, ciphertext, created_by, created_at, updated_at, created_by_request_id, modified_by_request_id, repositories, allowed_users, allowed_roles";

    public async Task<bool> CreateSecretAsync(SecretRecord secret, CancellationToken ct)
    {
        try
        {
            return await WriteAsync(
                async (connection, tx) =>
                {
                    await ExecAsync(
                        connection,
                        tx,
                        $"INSERT INTO access_secrets ({SecretColumns}) VALUES (@name, @env, @description, @key, @cipher, @by, @created, @updated, @createdRequest, @modifiedRequest, @repositories, @allowedUsers, @allowedRoles);",
                        ct,
                        SecretParameters(secret)
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

    public Task<SecretRecord?> GetSecretAsync(string name, CancellationToken ct) =>
        ReadAsync(
            async connection =>
                (
                    await QueryAsync(
                        connection,
                        null,
                        $"SELECT {SecretColumns} FROM access_secrets WHERE name = @name;",
                        ReadSecret,
                        ct,
                        ("@name", name)
                    )
                ).FirstOrDefault(),
            ct
        );

    public Task<IReadOnlyList<SecretRecord>> ListSecretsAsync(CancellationToken ct) =>
        ReadAsync<IReadOnlyList<SecretRecord>>(
            async connection =>
                await QueryAsync(
                    connection,
                    null,
                    $"SELECT {SecretColumns} FROM access_secrets ORDER BY name;",
                    ReadSecret,
                    ct
                ),
            ct
        );

    public Task<bool> UpdateSecretAsync(SecretRecord secret, CancellationToken ct) =>
        WriteAsync(async (connection, tx) => await UpdateAsync(connection, tx, secret, ct) == 1, ct);

    public Task<bool> DeleteSecretAsync(string name, CancellationToken ct) =>
        WriteAsync(
            async (connection, tx) =>
                await ExecAsync(connection, tx, "DELETE FROM access_secrets WHERE name = @name;", ct, ("@name", name))
                == 1,
            ct
        );

    public Task<int> RewriteSecretsAsync(Func<SecretRecord, SecretRecord?> rewrite, CancellationToken ct) =>
        WriteAsync(
            async (connection, tx) =>
            {
                var rewritten = 0;
                foreach (
                    var secret in await QueryAsync(
                        connection,
                        tx,
                        $"SELECT {SecretColumns} FROM access_secrets ORDER BY name;",
                        ReadSecret,
                        ct
                    )
                )
                {
                    if (rewrite(secret) is not { } replacement)
                        continue;
                    rewritten += await UpdateAsync(connection, tx, replacement, ct);
                }
                return rewritten;
            },
            ct
        );

    private static Task<int> UpdateAsync(
        DbConnection connection,
        DbTransaction tx,
        SecretRecord secret,
        CancellationToken ct
    ) =>
        ExecAsync(
            connection,
            tx,
            """
            UPDATE access_secrets SET env_name = @env, description = @description, key_id = @key, ciphertext = @cipher,
                updated_at = @updated, modified_by_request_id = @modifiedRequest, repositories = @repositories,
                allowed_users = @allowedUsers, allowed_roles = @allowedRoles
            WHERE name = @name;
            """,
            ct,
            SecretParameters(secret)
        );

    private static (string, object?)[] SecretParameters(SecretRecord s) =>
        [
            ("@name", s.Name),
            ("@env", s.EnvName),
            ("@description", s.Description),
            ("@key", s.KeyId),
            ("@cipher", s.Ciphertext),
            ("@by", s.CreatedBy),
            ("@created", Ms(s.CreatedAt)),
            ("@updated", Ms(s.UpdatedAt)),
            ("@createdRequest", s.CreatedByRequestId),
            ("@modifiedRequest", s.ModifiedByRequestId),
            ("@repositories", Hearth.Core.HearthJson.Serialize(s.Repositories)),
            ("@allowedUsers", Hearth.Core.HearthJson.Serialize(s.AllowedUsers)),
            ("@allowedRoles", Hearth.Core.HearthJson.Serialize(s.AllowedRoles)),
        ];

    private static SecretRecord ReadSecret(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            Text(r, 2),
            r.GetString(3),
            r.GetFieldValue<byte[]>(4),
            r.GetString(5),
            Time(r, 6)!.Value,
            Time(r, 7)!.Value,
            Text(r, 8),
            Text(r, 9),
            Hearth.Core.HearthJson.Deserialize<List<string>>(r.GetString(10)),
            Hearth.Core.HearthJson.Deserialize<List<string>>(r.GetString(11)),
            Hearth.Core.HearthJson.Deserialize<List<string>>(r.GetString(12))
        );
}
