namespace Hearth.Store.GitLab;

/// <summary>
/// The GitLab runner bridge's tables, recorded in <c>gitlab_schema_version</c>; the same SQL serves both databases.
/// Tokens and job variables are stored encrypted by the server (base64 of the ciphertext, with the key's id).
/// </summary>
internal static class GitLabSchema
{
    public static IReadOnlyList<string> Migrations { get; } =
    [
        """
            CREATE TABLE gitlab_runners (
                name TEXT PRIMARY KEY,
                url TEXT NOT NULL,
                runner_id BIGINT,
                token_key_id TEXT NOT NULL,
                token_cipher TEXT NOT NULL,
                tags TEXT NOT NULL,
                driver TEXT NOT NULL,
                image TEXT,
                created_by TEXT,
                created_at BIGINT NOT NULL
            );

            CREATE TABLE gitlab_jobs (
                runner_name TEXT NOT NULL,
                job_id BIGINT NOT NULL,
                run_id TEXT,
                secret_key_id TEXT NOT NULL,
                secret_cipher TEXT NOT NULL,
                trace_offset BIGINT NOT NULL DEFAULT 0,
                state TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                ended_at BIGINT,
                PRIMARY KEY (runner_name, job_id)
            );
            CREATE INDEX gitlab_jobs_run ON gitlab_jobs(run_id);
            CREATE INDEX gitlab_jobs_state ON gitlab_jobs(state);
            """,
    ];
}
