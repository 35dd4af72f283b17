using Hearth.Store.Access;

namespace Hearth.Server.Secrets;

/// <summary>
/// Secrets in and out of the store: values are encrypted before they are written and decrypted only on demand.
/// </summary>
public sealed class SecretService(
    IAccessStore store,
    SecretKeyring keyring,
    TimeProvider time,
    ILogger<SecretService> logger
)
{
    public async Task<SecretRecord?> CreateAsync(
        string name,
        string envName,
        string? description,
        string value,
        string owner,
        string requestId,
        IReadOnlyList<string>? repositories,
        SecretUsers users,
        CancellationToken ct
    )
    {
        var (keyId, ciphertext) = keyring.Encrypt(name, value);
        var now = time.GetUtcNow();
        var record = new SecretRecord(
            name,
            envName,
            description,
            keyId,
            ciphertext,
            owner,
            now,
            now,
            requestId,
            requestId,
            repositories,
            users.Users,
            users.Roles
        );
        return await store.CreateSecretAsync(record, ct) ? record : null;
    }

    public async Task<SecretRecord?> UpdateAsync(
        SecretRecord existing,
        string? envName,
        string? description,
        string? value,
        string requestId,
        IReadOnlyList<string>? repositories,
        SecretUsers users,
        CancellationToken ct
    )
    {
        var updated = existing with
        {
            Repositories = repositories ?? existing.Repositories,
            AllowedUsers = users.Users ?? existing.AllowedUsers,
            AllowedRoles = users.Roles ?? existing.AllowedRoles,
            EnvName = envName ?? existing.EnvName,
            Description = description ?? existing.Description,
            UpdatedAt = time.GetUtcNow(),
            ModifiedByRequestId = requestId,
        };
        if (value is not null)
        {
            var (keyId, ciphertext) = keyring.Encrypt(existing.Name, value);
            updated = updated with { KeyId = keyId, Ciphertext = ciphertext };
        }
        return await store.UpdateSecretAsync(updated, ct) ? updated : null;
    }

    public string Reveal(SecretRecord secret) => keyring.Decrypt(secret.Name, secret.KeyId, secret.Ciphertext);

    /// <summary>The environment a task's secrets make: variable name → value.</summary>
    /// <exception cref="SecretUnavailableException">A secret was deleted since the run was accepted, or cannot be
    /// decrypted.</exception>
    public async Task<Dictionary<string, string>> ResolveAsync(IReadOnlyList<string> names, CancellationToken ct)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var secret = await store.GetSecretAsync(name, ct)
                ?? throw new SecretUnavailableException($"secret '{name}' no longer exists");
            env[secret.EnvName] = Reveal(secret);
        }
        return env;
    }

    /// <summary>
    /// Re-encrypts every secret not under the current key (a rotation: new key in place, old one in
    /// secrets.old_key_files).
    /// </summary>
    public async Task<int> RotateAsync(CancellationToken ct)
    {
        var stuck = new List<string>();
        var rewritten = await store.RewriteSecretsAsync(
            secret =>
            {
                if (secret.KeyId == keyring.CurrentId)
                    return null;
                if (!keyring.Knows(secret.KeyId))
                {
                    stuck.Add(secret.Name);
                    return null;
                }
                var (keyId, ciphertext) = keyring.Encrypt(secret.Name, Reveal(secret));
                return secret with { KeyId = keyId, Ciphertext = ciphertext };
            },
            ct
        );
        if (rewritten > 0)
            logger.LogWarning(
                "re-encrypted {Count} secret(s) under the current key {Key}",
                rewritten,
                keyring.CurrentId
            );
        if (stuck.Count > 0)
            logger.LogError(
                "secret(s) {Names} are under a key this server does not have; runs naming them will fail (add the old key to secrets.old_key_files)",
                string.Join(", ", stuck)
            );
        return rewritten;
    }
}
