using Hearth.Store.GitLab;

namespace Hearth.Store.Tests;

/// <summary>The GitLab runner bridge's store (runners, taken jobs) behaves the same on SQLite and PostgreSQL.</summary>
public abstract class GitLabStoreConformance(TestDatabase database) : AreaStoreConformance<IGitLabStore>(database)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-06T08:00:00Z");

    protected override Task<IGitLabStore> OpenAsync(TestDatabase database) =>
        database.OpenAsync<IGitLabStore>(cs => new PostgresGitLabStore(cs), path => new SqliteGitLabStore(path));

    private static GitLabRunnerRecord Runner(string name = "team-a") =>
        new(
            name,
            "https://gitlab.example.com/",
            7,
            "key-1",
            "c2VhbGVk",
            ["linux", "firecracker-2cpu-4gb"],
            "oci",
            "alpine:3.20",
            "admin",
            T0
        );

    private static GitLabJobRecord Job(long id, string runner = "team-a") =>
        new(runner, id, null, "key-1", "c2VjcmV0cw==", 0, GitLabJobStates.Running, T0.AddSeconds(id), null);

    [Fact]
    public async Task A_runner_is_stored_with_its_tags_listed_by_name_unique_and_removed()
    {
        Assert.True(await Store.AddRunnerAsync(Runner("team-b"), None));
        Assert.True(
            await Store.AddRunnerAsync(
                Runner() with
                {
                    RunnerId = null,
                    Image = null,
                    CreatedBy = null,
                    Tags = [],
                },
                None
            )
        );
        Assert.False(await Store.AddRunnerAsync(Runner() with { Url = "https://other.example.com/" }, None));

        var read = (await Store.GetRunnerAsync("team-b", None))!;
        Assert.Equal(
            ("team-b", "https://gitlab.example.com/", 7L, "key-1", "c2VhbGVk"),
            (read.Name, read.Url, read.RunnerId, read.TokenKeyId, read.TokenCipher)
        );
        Assert.Equal(["linux", "firecracker-2cpu-4gb"], read.Tags);
        Assert.Equal(("oci", "alpine:3.20", "admin", T0), (read.Driver, read.Image, read.CreatedBy, read.CreatedAt));
        var bare = (await Store.GetRunnerAsync("team-a", None))!;
        Assert.Equal(
            ((long?)null, (string?)null, (string?)null, "https://gitlab.example.com/"),
            (bare.RunnerId, bare.Image, bare.CreatedBy, bare.Url)
        );
        Assert.Empty(bare.Tags);
        Assert.Null(await Store.GetRunnerAsync("nope", None));

        Assert.Equal(["team-a", "team-b"], (await Store.ListRunnersAsync(None)).Select(r => r.Name));
        Assert.True(await Store.RemoveRunnerAsync("team-a", None));
        Assert.False(await Store.RemoveRunnerAsync("team-a", None));
        Assert.Equal(["team-b"], (await Store.ListRunnersAsync(None)).Select(r => r.Name));
    }

    [Fact]
    public async Task A_job_is_taken_once_linked_to_its_run_its_trace_offset_kept_and_ended()
    {
        Assert.True(await Store.AddJobAsync(Job(2), None));
        // The same job handed out again (or taken again after a crash) is not taken twice; another runner's job 2 is
        // its own.
        Assert.False(await Store.AddJobAsync(Job(2) with { SecretCipher = "b3RoZXI=" }, None));
        Assert.True(await Store.AddJobAsync(Job(2, "team-b"), None));
        Assert.True(await Store.AddJobAsync(Job(1), None));

        Assert.Equal(Job(2), await Store.GetJobAsync("team-a", 2, None));
        Assert.Null(await Store.GetJobAsync("team-a", 99, None));
        Assert.Null(await Store.GetJobByRunAsync("run-1", None));

        await Store.SetJobRunAsync("team-a", 2, "run-1", None);
        await Store.SetTraceOffsetAsync("team-a", 2, 4096, None);
        Assert.Equal(Job(2) with { RunId = "run-1", TraceOffset = 4096 }, await Store.GetJobByRunAsync("run-1", None));

        // Running jobs in the order they were taken: what a new leader takes up.
        Assert.Equal(
            [("team-a", 1L), ("team-a", 2L), ("team-b", 2L)],
            (await Store.ListJobsAsync(GitLabJobStates.Running, None)).Select(j => (j.RunnerName, j.JobId))
        );

        await Store.EndJobAsync("team-a", 2, T0.AddMinutes(5), None);
        var ended = (await Store.GetJobAsync("team-a", 2, None))!;
        Assert.Equal((GitLabJobStates.Done, T0.AddMinutes(5), 4096L), (ended.State, ended.EndedAt, ended.TraceOffset));
        Assert.Equal(
            [("team-a", 1L), ("team-b", 2L)],
            (await Store.ListJobsAsync(GitLabJobStates.Running, None)).Select(j => (j.RunnerName, j.JobId))
        );
        Assert.Equal([2L], (await Store.ListJobsAsync(GitLabJobStates.Done, None)).Select(j => j.JobId));
    }

    [Fact]
    public async Task Servers_racing_to_take_one_job_take_it_once()
    {
        var takes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.AddJobAsync(Job(42), None)));
        Assert.Equal(1, takes.Count(t => t));
    }
}

public sealed class SqliteGitLabStoreTests() : GitLabStoreConformance(new SqliteTestDatabase("hearth-gitlab-store-"));

[Collection(PostgresCollection.Name)]
public sealed class PostgresGitLabStoreTests(PostgresCluster cluster)
    : GitLabStoreConformance(new PostgresTestDatabase(cluster));
