namespace Hearth.Store.Repositories;

/// <summary>
/// The repository tables' migrations, recorded in <c>repository_schema_version</c>. The same SQL serves both databases.
/// </summary>
internal static class RepositorySchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            -- secrets: a JSON list of {key_id, ciphertext (base64)}, newest first; token likewise, or NULL.
            CREATE TABLE repositories (
                name TEXT PRIMARY KEY,
                forge TEXT NOT NULL,
                url TEXT NOT NULL,
                secrets TEXT NOT NULL,
                token TEXT,
                workflows TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            """,
        "ALTER TABLE repositories ADD COLUMN api_url TEXT;",
        "ALTER TABLE repositories ADD COLUMN granted_secrets TEXT NOT NULL DEFAULT '[]';",
    ];
}
