namespace Hearth.Store.Access;

/// <summary>
/// Who may call the API and what was done with it: users, API keys and agent tokens (hashes only), one-time claim
/// tokens, encrypted secrets and the audit trail. Its own tables and its own migration list
/// (<c>access_schema_version</c>), beside the run store's. Every method is one transaction.
/// </summary>
public interface IAccessStore : IMigratingStore
{
    /// <summary>Creates the user and its claim token (if any) together; false when the email is taken.</summary>
    Task<bool> CreateUserAsync(UserRecord user, ClaimTokenRecord? claim, CancellationToken ct);

    Task<UserRecord?> GetUserAsync(string email, CancellationToken ct);

    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct);

    /// <summary>
    /// Revokes the user, every key it holds and its unused claim tokens; false when the email is unknown.
    /// </summary>
    Task<bool> RevokeUserAsync(string email, DateTimeOffset now, string requestId, CancellationToken ct);

    /// <summary>
    /// Spends a claim token: if it is unused, unexpired and its user active, marks it used (with the client address)
    /// and stores a key for that user with the given id and hash, atomically. Any other outcome stores nothing.
    /// </summary>
    Task<ClaimResult> ClaimAsync(
        string tokenHash,
        string keyId,
        string keyHash,
        DateTimeOffset now,
        string clientAddress,
        CancellationToken ct
    );

    Task CreateKeyAsync(AccessKeyRecord key, CancellationToken ct);

    Task<AccessKeyRecord?> FindKeyAsync(string hash, CancellationToken ct);

    Task<bool> AnyKeyAsync(KeyKind kind, CancellationToken ct);

    Task TouchKeyAsync(string keyId, DateTimeOffset now, CancellationToken ct);

    /// <summary>False when a secret of that name exists.</summary>
    Task<bool> CreateSecretAsync(SecretRecord secret, CancellationToken ct);

    Task<SecretRecord?> GetSecretAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<SecretRecord>> ListSecretsAsync(CancellationToken ct);

    /// <summary>Replaces the secret's row (by name); false when there is none.</summary>
    Task<bool> UpdateSecretAsync(SecretRecord secret, CancellationToken ct);

    Task<bool> DeleteSecretAsync(string name, CancellationToken ct);

    /// <summary>
    /// Rewrites secrets in one transaction: <paramref name="rewrite"/> returns the new row, or null to keep it.
    /// Returns how many were rewritten (key rotation).
    /// </summary>
    Task<int> RewriteSecretsAsync(Func<SecretRecord, SecretRecord?> rewrite, CancellationToken ct);

    Task AppendAuditAsync(AuditEntry entry, CancellationToken ct);

    /// <summary>Newest first.</summary>
    Task<IReadOnlyList<AuditEntry>> QueryAuditAsync(AuditQuery query, CancellationToken ct);
}
