namespace Hearth.EndToEnd.Tests;

/// <summary>
/// hearth run --git-repo against real repositories on loopback: the checkout runs through the driver, then the command
/// in the checkout.
/// </summary>
public abstract class GitWorkspaceTests(ClusterFixture fixture, GitRepositories git) : IClassFixture<GitRepositories>
{
    private Task<CliProcess.Result> RunAsync(params string[] args) =>
        fixture.Cluster.CliAsync(["run", "--driver", "process", "--git-repo", git.Url, .. args]);

    [Fact]
    public async Task The_default_branch_is_checked_out_and_the_command_runs_in_git_path()
    {
        var result = await RunAsync("--git-path", "sub", "--", "cat", "version.txt");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("two\n", result.Stdout);
        Assert.Contains("hearth: checked out HEAD of", result.Stderr);
    }

    [Fact]
    public async Task A_branch_a_tag_and_a_commit_sha_are_each_checked_out()
    {
        var branch = await RunAsync("--git-ref", "feature", "--", "cat", "sub/version.txt");
        Assert.True(branch.ExitCode == 0, branch.Stderr);
        Assert.Equal("feature\n", branch.Stdout);

        var tag = await RunAsync("--git-ref", "v1", "--git-path", "sub", "--", "cat", "version.txt");
        Assert.True(tag.ExitCode == 0, tag.Stderr);
        Assert.Equal("one\n", tag.Stdout);

        var sha = await RunAsync("--git-ref", git.FirstCommit, "--", "git", "rev-parse", "HEAD");
        Assert.True(sha.ExitCode == 0, sha.Stderr);
        Assert.Equal(git.FirstCommit + "\n", sha.Stdout);
    }

    [Fact]
    public async Task A_repository_scoped_secret_reaches_the_repository_s_script_and_never_a_command_line_naming_the_url()
    {
        var create = await CliProcess.RunAsync(
            [
                "secrets",
                "create",
                "scoped-key",
                "--from-env",
                "V",
                "--env-name",
                "SCOPED_KEY",
                "--repo",
                $"git://127.0.0.1:{git.Port}/*",
            ],
            new Dictionary<string, string>(fixture.Cluster.ClientEnv)
            {
                ["V"] = "scoped-" + Guid.NewGuid().ToString("N"),
            }
        );
        Assert.True(create.ExitCode == 0, create.Stderr);

        var dump = await RunAsync(
            "--secret",
            "scoped-key",
            "--",
            "sh",
            "-c",
            "printf %s \"$SCOPED_KEY\" | od -An -tx1"
        );
        Assert.NotEqual(0, dump.ExitCode);
        Assert.Contains("SECRET_OUT_OF_SCOPE", dump.Stderr);
        Assert.Equal("", dump.Stdout);

        var script = await RunAsync("--secret", "scoped-key", "--", "./ci/show.sh", "prod");
        Assert.True(script.ExitCode == 0, script.Stderr);
        Assert.Equal("key=*** args=prod\n", script.Stdout);
    }

    [Fact]
    public async Task A_git_secret_authenticates_the_clone_over_http_and_its_token_shows_nowhere()
    {
        var token = "tok-" + Guid.NewGuid().ToString("N");
        await using var server = new AuthenticatedGitServer(git.Root, "deploy", token);
        var url = server.Url("app");
        var create = await CliProcess.RunAsync(
            ["secrets", "create", "clone-cred", "--from-env", "V"],
            new Dictionary<string, string>(fixture.Cluster.ClientEnv) { ["V"] = "deploy:" + token }
        );
        Assert.True(create.ExitCode == 0, create.Stderr);

        var denied = await fixture.Cluster.CliAsync("run", "--driver", "process", "--git-repo", url, "--", "true");
        Assert.Equal(125, denied.ExitCode);
        Assert.Contains(
            $"FAILED: git checkout of {url} (default branch) failed: fatal: could not read Username",
            denied.Stderr
        );

        var cloned = await fixture.Cluster.CliAsync(
            "run",
            "--driver",
            "process",
            "--git-repo",
            url,
            "--git-secret",
            "clone-cred",
            "--git-path",
            "sub",
            "--",
            "cat",
            "version.txt"
        );
        Assert.True(cloned.ExitCode == 0, cloned.Stderr);
        Assert.Equal("two\n", cloned.Stdout);
        Assert.Contains("deploy:" + token, server.Credentials);

        var runId = AdHocRunTests.RunId(cloned.Stderr);
        var status = await fixture.Cluster.CliAsync("status", runId, "-o", "json");
        var logs = await fixture.Cluster.CliAsync("logs", runId);
        Assert.Equal((0, 0), (status.ExitCode, logs.ExitCode));
        foreach (var shown in new[] { cloned.Stdout, cloned.Stderr, status.Stdout, logs.Stdout, logs.Stderr })
            Assert.DoesNotContain(token, shown);
    }

    [Fact]
    public async Task A_missing_ref_fails_the_run_with_git_s_message()
    {
        var result = await RunAsync("--git-ref", "no-such-branch", "--", "true");
        Assert.Equal(125, result.ExitCode);
        Assert.Contains(
            $"FAILED: git checkout of {git.Url} no-such-branch failed: fatal: couldn't find remote ref no-such-branch",
            result.Stderr
        );
    }

    [Fact]
    public async Task A_missing_repository_fails_the_run_naming_it_with_git_s_message()
    {
        var missing = $"/nonexistent/hearth-{Guid.NewGuid():N}.git";
        var result = await fixture.Cluster.CliAsync("run", "--driver", "process", "--git-repo", missing, "--", "true");
        Assert.Equal(125, result.ExitCode);
        Assert.Contains(
            $"FAILED: git checkout of {missing} (default branch) failed: fatal: '{missing}' does not appear to be a git repository",
            result.Stderr
        );
    }

    [Fact]
    public async Task Git_options_without_a_repository_are_refused()
    {
        var result = await fixture.Cluster.CliAsync("run", "--git-ref", "main", "--", "true");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--git-repo", result.Stderr);
    }
}

public sealed class SqliteGitWorkspaceTests(SqliteClusterFixture fixture, GitRepositories git)
    : GitWorkspaceTests(fixture, git),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresGitWorkspaceTests(PostgresClusterFixture fixture, GitRepositories git)
    : GitWorkspaceTests(fixture, git),
        IClassFixture<PostgresClusterFixture>;
