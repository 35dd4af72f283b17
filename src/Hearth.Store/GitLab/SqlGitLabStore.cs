using System.Data.Common;
using Hearth.Store.Postgres;
using Hearth.Store.Sqlite;
using static Hearth.Store.Sql.Db;

namespace Hearth.Store.GitLab;

/// <summary><see cref="IGitLabStore"/> over ADO.NET; the database supplies connections and migrations.</summary>
public abstract class SqlGitLabStore : IGitLabStore
{
    private const string RunnerColumns =
        "name, url, runner_id, token_key_id, token_cipher, tags, driver, image, created_by, created_at";
    private const string JobColumns =
        "runner_name, job_id, run_id, secret_key_id, secret_cipher, trace_offset, state, created_at, ended_at";

    public abstract Task MigrateAsync(CancellationToken ct);

    private protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    public async Task<bool> AddRunnerAsync(GitLabRunnerRecord r, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(
                connection,
                null,
                $"""
                INSERT INTO gitlab_runners ({RunnerColumns})
                VALUES (@name, @url, @rid, @kid, @cipher, @tags, @driver, @image, @by, @at) ON CONFLICT (name) DO NOTHING;
                """,
                ct,
                ("@name", r.Name),
                ("@url", r.Url),
                ("@rid", r.RunnerId),
                ("@kid", r.TokenKeyId),
                ("@cipher", r.TokenCipher),
                ("@tags", string.Join('\n', r.Tags)),
                ("@driver", r.Driver),
                ("@image", r.Image),
                ("@by", r.CreatedBy),
                ("@at", Ms(r.CreatedAt))
            ) == 1;
    }

    public async Task<IReadOnlyList<GitLabRunnerRecord>> ListRunnersAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await QueryAsync(
            connection,
            null,
            $"SELECT {RunnerColumns} FROM gitlab_runners ORDER BY name;",
            ReadRunner,
            ct
        );
    }

    public async Task<GitLabRunnerRecord?> GetRunnerAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var rows = await QueryAsync(
            connection,
            null,
            $"SELECT {RunnerColumns} FROM gitlab_runners WHERE name = @n;",
            ReadRunner,
            ct,
            ("@n", name)
        );
        return rows.SingleOrDefault();
    }

    public async Task<bool> RemoveRunnerAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(connection, null, "DELETE FROM gitlab_runners WHERE name = @n;", ct, ("@n", name)) == 1;
    }

    public async Task<bool> AddJobAsync(GitLabJobRecord j, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecAsync(
                connection,
                null,
                $"""
                INSERT INTO gitlab_jobs ({JobColumns})
                VALUES (@runner, @job, @run, @kid, @cipher, @offset, @state, @at, NULL) ON CONFLICT (runner_name, job_id) DO NOTHING;
                """,
                ct,
                ("@runner", j.RunnerName),
                ("@job", j.JobId),
                ("@run", j.RunId),
                ("@kid", j.SecretKeyId),
                ("@cipher", j.SecretCipher),
                ("@offset", j.TraceOffset),
                ("@state", j.State),
                ("@at", Ms(j.CreatedAt))
            ) == 1;
    }

    public async Task SetJobRunAsync(string runnerName, long jobId, string runId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE gitlab_jobs SET run_id = @run WHERE runner_name = @r AND job_id = @j;",
            ct,
            ("@run", runId),
            ("@r", runnerName),
            ("@j", jobId)
        );
    }

    public async Task<GitLabJobRecord?> GetJobAsync(string runnerName, long jobId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var rows = await QueryAsync(
            connection,
            null,
            $"SELECT {JobColumns} FROM gitlab_jobs WHERE runner_name = @r AND job_id = @j;",
            ReadJob,
            ct,
            ("@r", runnerName),
            ("@j", jobId)
        );
        return rows.SingleOrDefault();
    }

    public async Task<GitLabJobRecord?> GetJobByRunAsync(string runId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        var rows = await QueryAsync(
            connection,
            null,
            $"SELECT {JobColumns} FROM gitlab_jobs WHERE run_id = @run;",
            ReadJob,
            ct,
            ("@run", runId)
        );
        return rows.FirstOrDefault();
    }

    public async Task<IReadOnlyList<GitLabJobRecord>> ListJobsAsync(string state, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        // Taken order; ties (two runners' jobs taken in the same millisecond) in one order on both databases.
        return await QueryAsync(
            connection,
            null,
            $"SELECT {JobColumns} FROM gitlab_jobs WHERE state = @s ORDER BY created_at, runner_name, job_id;",
            ReadJob,
            ct,
            ("@s", state)
        );
    }

    public async Task SetTraceOffsetAsync(string runnerName, long jobId, long offset, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE gitlab_jobs SET trace_offset = @o WHERE runner_name = @r AND job_id = @j;",
            ct,
            ("@o", offset),
            ("@r", runnerName),
            ("@j", jobId)
        );
    }

    public async Task EndJobAsync(string runnerName, long jobId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecAsync(
            connection,
            null,
            "UPDATE gitlab_jobs SET state = @s, ended_at = @at WHERE runner_name = @r AND job_id = @j;",
            ct,
            ("@s", GitLabJobStates.Done),
            ("@at", Ms(now)),
            ("@r", runnerName),
            ("@j", jobId)
        );
    }

    private static GitLabRunnerRecord ReadRunner(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetString(1),
            r.IsDBNull(2) ? null : r.GetInt64(2),
            r.GetString(3),
            r.GetString(4),
            r.GetString(5).Split('\n', StringSplitOptions.RemoveEmptyEntries),
            r.GetString(6),
            Text(r, 7),
            Text(r, 8),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(9))
        );

    private static GitLabJobRecord ReadJob(DbDataReader r) =>
        new(
            r.GetString(0),
            r.GetInt64(1),
            Text(r, 2),
            r.GetString(3),
            r.GetString(4),
            r.GetInt64(5),
            r.GetString(6),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
            Time(r, 8)
        );
}

/// <summary>The GitLab tables in the run store's SQLite file.</summary>
public sealed class SqliteGitLabStore(string path) : SqlGitLabStore, IAsyncDisposable
{
    private readonly SqliteDatabase _database = new(path);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("gitlab_schema_version", GitLabSchema.Migrations, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}

/// <summary>The GitLab tables in PostgreSQL, shared by every server.</summary>
public sealed class PostgresGitLabStore(string connectionString) : SqlGitLabStore, IAsyncDisposable
{
    /// <summary>
    /// Held per transaction while the GitLab migrations run, so servers starting together apply them once.
    /// </summary>
    private const long MigrationLock = 0x4865_6172_7468_0A47;
    private readonly PostgresDatabase _database = new(connectionString);

    public override Task MigrateAsync(CancellationToken ct) =>
        _database.MigrateAsync("gitlab_schema_version", GitLabSchema.Migrations, MigrationLock, ct);

    private protected override async Task<DbConnection> OpenAsync(CancellationToken ct) =>
        await _database.OpenAsync(ct);

    public ValueTask DisposeAsync() => _database.DisposeAsync();
}
