namespace Hearth.Store.Access;

/// <summary>
/// The access tables' migrations, applied in order and recorded in <c>access_schema_version</c> (separate from the
/// run store's <c>schema_version</c>, so the two evolve independently in one database).
/// </summary>
internal static class AccessSchema
{
    /// <summary>One list for both databases: {id} is the auto-numbered key, {blob} a byte column.</summary>
    private static readonly string[] Template =
    [
        """
            CREATE TABLE access_users (
                email TEXT PRIMARY KEY,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                created_by TEXT NOT NULL,
                created_by_request_id TEXT,
                revoked_at BIGINT,
                modified_by_request_id TEXT
            );

            CREATE TABLE access_keys (
                id TEXT PRIMARY KEY,
                hash TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                owner TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT,
                last_used_at BIGINT
            );
            CREATE INDEX access_keys_owner ON access_keys(owner);

            CREATE TABLE access_claim_tokens (
                hash TEXT PRIMARY KEY,
                email TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                used_from TEXT
            );

            CREATE TABLE access_secrets (
                name TEXT PRIMARY KEY,
                env_name TEXT NOT NULL,
                description TEXT,
                key_id TEXT NOT NULL,
                ciphertext {blob} NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                created_by_request_id TEXT,
                modified_by_request_id TEXT
            );

            CREATE TABLE access_audit (
                seq {id},
                request_id TEXT NOT NULL,
                time BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                target TEXT,
                status INTEGER NOT NULL,
                result TEXT NOT NULL,
                client_address TEXT NOT NULL
            );
            CREATE INDEX access_audit_request ON access_audit(request_id);
            CREATE INDEX access_audit_actor ON access_audit(actor, time);
            CREATE INDEX access_audit_time ON access_audit(time);
            """,
        """
            ALTER TABLE access_secrets ADD COLUMN repositories TEXT NOT NULL DEFAULT '[]';
            """,
        // Who may use a secret: until now every role with secrets.use could; now its creator and admins, plus these.
        """
            ALTER TABLE access_secrets ADD COLUMN allowed_users TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE access_secrets ADD COLUMN allowed_roles TEXT NOT NULL DEFAULT '[]';
            """,
    ];

    public static IReadOnlyList<string> Sqlite { get; } =
        Template
            .Select(t => t.Replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT").Replace("{blob}", "BLOB"))
            .ToArray();

    public static IReadOnlyList<string> Postgres { get; } =
        Template
            .Select(t =>
                t.Replace("{id}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY").Replace("{blob}", "BYTEA")
            )
            .ToArray();
}
