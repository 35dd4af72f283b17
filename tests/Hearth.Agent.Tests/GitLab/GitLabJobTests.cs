using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// GitLab jobs end to end against a local fake of GitLab's runner API: a real server, a real agent with bubblewrap, a
/// real repository on loopback (git daemon). Request, checkout at the job's SHA, scripts, trace patches, final state.
/// </summary>
public sealed class GitLabJobTests : IAsyncLifetime
{
    private static long _nextJob = 100;
    private GitLabRig _rig = null!;
    private CancellationTokenSource _agent = null!;

    public async Task InitializeAsync()
    {
        _rig = await GitLabRig.StartAsync(TimeSpan.FromMilliseconds(100));
        _agent = _rig.Harness.StartAgent(_rig.Harness.Options() with { AllowedDrivers = ["bubblewrap"] });
        await _rig.AddRunnerAsync("fake", "bubblewrap", null);
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_job_is_cloned_at_its_sha_runs_its_scripts_and_streams_its_trace_contiguously_with_the_final_checksum()
    {
        var id = Interlocked.Increment(ref _nextJob);
        _rig.GitLab.Enqueue(
            Job(
                id,
                _rig.Git.FirstCommit,
                [
                    "cat version.txt",
                    "echo \"secret=$DEPLOY_KEY\"",
                    "cat \"$CONFIG_FILE\"",
                    "for i in 1 2 3 4 5; do echo line-$i; done",
                ],
                ["echo \"after: $CI_JOB_STATUS\""],
                Var("DEPLOY_KEY", "s3cr3t-value-123", masked: true),
                Var("CONFIG_FILE", "from-a-file", file: true),
                Var("CI_JOB_TAGS", "[\"firecracker-2cpu-4gb\"]")
            )
        );

        var job = await FinishedAsync(id);

        Assert.Equal("success", job.Final!.State);
        Assert.Equal(0, job.Final.ExitCode);
        var trace = job.TraceText;
        Assert.Contains("$ cat version.txt\none\n", trace);
        Assert.DoesNotContain("two", trace);
        Assert.Contains("secret=***", trace);
        Assert.DoesNotContain("s3cr3t-value-123", trace);
        Assert.Contains("from-a-file", trace);
        Assert.Contains("line-5\n", trace);
        Assert.Contains("after: success", trace);
        AssertContiguous(job);
        AssertChecksum(job);
        // The trace is the run's log, byte for byte.
        var run = await CiRunAsync();
        Assert.Equal(string.Concat((await _rig.Harness.LinesAsync(run.Id)).Select(l => l + "\n")), trace);
        Assert.Equal(2, run.Cpus);
        await NothingLeftBehindAsync();
    }

    [Fact]
    public async Task A_failing_script_fails_the_job_with_script_failure_and_its_exit_code_and_after_script_still_runs()
    {
        var id = Interlocked.Increment(ref _nextJob);
        _rig.GitLab.Enqueue(
            Job(id, _rig.Git.SecondCommit, ["echo before", "exit 3", "echo never"], ["echo \"after: $CI_JOB_STATUS\""])
        );

        var job = await FinishedAsync(id);

        Assert.Equal(
            new FakeGitLab.Update("failed", "script_failure", 3, job.Final!.Checksum, job.Trace.Length),
            job.Final
        );
        Assert.Contains("before\n", job.TraceText);
        Assert.DoesNotContain("never\n", job.TraceText);
        Assert.Contains("after: failed", job.TraceText);
        AssertContiguous(job);
        AssertChecksum(job);
        await NothingLeftBehindAsync();
    }

    [Fact]
    public async Task A_416_moves_the_trace_back_to_what_gitlab_holds_and_the_rest_is_sent_again()
    {
        var id = Interlocked.Increment(ref _nextJob);
        _rig.GitLab.Enqueue(
            Job(id, _rig.Git.SecondCommit, ["echo first", "sleep 1", "for i in $(seq 1 50); do echo row-$i; done"], [])
        );
        await AgentHarness.UntilAsync(
            () => Task.FromResult(_rig.GitLab.JobOf(id) is { } j && j.TraceText.Contains("first\n")),
            "first lines sent"
        );
        var job = _rig.GitLab.JobOf(id)!;
        lock (job)
            job.LoseTraceTo = 3;

        job = await FinishedAsync(id);

        Assert.Equal("success", job.Final!.State);
        Assert.Contains(job.Patches, p => p.Status == 416);
        var run = await CiRunAsync();
        Assert.Equal(string.Concat((await _rig.Harness.LinesAsync(run.Id)).Select(l => l + "\n")), job.TraceText);
        AssertChecksum(job);
        await NothingLeftBehindAsync();
    }

    [Fact]
    public async Task A_job_canceled_in_gitlab_is_stopped_runs_after_script_and_is_reported_canceled()
    {
        var id = Interlocked.Increment(ref _nextJob);
        _rig.GitLab.Enqueue(
            Job(
                id,
                _rig.Git.SecondCommit,
                ["echo started", "sleep 60", "echo never"],
                ["echo \"after: $CI_JOB_STATUS\""]
            )
        );
        await AgentHarness.UntilAsync(
            () => Task.FromResult(_rig.GitLab.JobOf(id) is { } j && j.TraceText.Contains("started\n")),
            "job started"
        );

        _rig.GitLab.Cancel(id);
        var job = await FinishedAsync(id);

        Assert.Equal("canceled", job.Final!.State);
        Assert.Contains("after: canceled", job.TraceText);
        Assert.DoesNotContain("never\n", job.TraceText);
        Assert.Equal(Hearth.Core.Runs.RunState.Stopped, (await CiRunAsync()).Status);
        await NothingLeftBehindAsync();
    }

    [Theory]
    [InlineData("services", "this runner does not support the services keyword")]
    [InlineData("firecracker-64cpu-8gb", "64 CPUs is outside 1 to 16 (gitlab.max_cpus)")]
    [InlineData("firecracker-big", "expected firecracker or firecracker-<N>cpu-<M>gb")]
    [InlineData("windows", "none of the job's tags (windows) is this runner's")]
    public async Task A_job_hearth_cannot_run_as_asked_fails_with_the_reason_and_starts_nothing(
        string what,
        string reason
    )
    {
        var id = Interlocked.Increment(ref _nextJob);
        var job =
            what == "services"
                ? Job(id, _rig.Git.SecondCommit, ["true"], [])
                : Job(id, _rig.Git.SecondCommit, ["true"], [], Var("CI_JOB_TAGS", $"[\"{what}\"]"));
        if (what == "services")
            job["services"] = new JsonArray(new JsonObject { ["name"] = "postgres:16" });
        _rig.GitLab.Enqueue(job);

        var finished = await FinishedAsync(id);

        Assert.Equal(
            new FakeGitLab.Update("failed", "script_failure", null, finished.Final!.Checksum, finished.Trace.Length),
            finished.Final
        );
        Assert.Contains(reason, finished.TraceText);
        var runs = await _rig.Harness.Admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options);
        Assert.DoesNotContain(runs!.Runs, r => r.Kind == "ci_job");
    }

    [Fact]
    public async Task A_token_gitlab_refuses_is_not_stored()
    {
        var refused = await _rig.Harness.Admin.PostAsJsonAsync(
            "api/v1/gitlab/runners",
            new GitLabRunnerBody("other", _rig.GitLab.Url.ToString(), "glrt-wrong", [], "oci", null),
            HearthJson.Options
        );
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("GITLAB_TOKEN_REFUSED", await refused.Content.ReadAsStringAsync());
        var list = await _rig.Harness.Admin.GetFromJsonAsync<GitLabRunnerListView>(
            "api/v1/gitlab/runners",
            HearthJson.Options
        );
        Assert.Equal(["fake"], list!.Runners.Select(r => r.Name));
        Assert.DoesNotContain(FakeGitLab.RunnerToken, await _rig.Harness.Admin.GetStringAsync("api/v1/gitlab/runners"));
    }

    [Fact]
    public async Task Dependencies_artifacts_and_the_cache_move_between_the_workspace_gitlab_and_the_agent()
    {
        // A job that ran before: its artifacts are this job's dependency, downloadable with its own token.
        const long dependency = 5000;
        _rig.GitLab.AddArtifacts(dependency, "dependency-token-secret", Zip(("dep/lib.txt", "from-dependency\n")));
        var id = Interlocked.Increment(ref _nextJob);
        var job = Job(
            id,
            _rig.Git.SecondCommit,
            [
                "cat dep/lib.txt",
                "cat .cache/c.txt || echo no-cache",
                "mkdir -p out .cache",
                "echo a > out/a.txt",
                "echo b > out/b.log",
                "echo cached > .cache/c.txt",
                "ln -s /etc out/etc-link",
            ],
            []
        );
        job["dependencies"] = new JsonArray(
            new JsonObject
            {
                ["id"] = dependency,
                ["token"] = "dependency-token-secret",
                ["name"] = "build",
                ["artifacts_file"] = new JsonObject { ["filename"] = "artifacts.zip", ["size"] = 100 },
            }
        );
        job["artifacts"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "bundle",
                ["untracked"] = false,
                ["paths"] = new JsonArray("out/"),
                ["exclude"] = new JsonArray("out/*.log"),
                ["when"] = "on_success",
                ["artifact_type"] = "archive",
                ["artifact_format"] = "zip",
                ["expire_in"] = "1 week",
            }
        );
        job["cache"] = new JsonArray(
            new JsonObject
            {
                ["key"] = "deps-1",
                ["untracked"] = false,
                ["policy"] = "pull-push",
                ["paths"] = new JsonArray(".cache/"),
                ["when"] = "on_success",
            }
        );
        _rig.GitLab.Enqueue(job);

        var first = await FinishedAsync(id);

        Assert.True(first.Final!.State == "success", first.TraceText);
        Assert.Contains("from-dependency\n", first.TraceText);
        Assert.Contains("no-cache\n", first.TraceText);
        Assert.DoesNotContain("dependency-token-secret", first.TraceText);
        Assert.Equal(
            [new FakeGitLab.ArtifactsDownload(dependency, "dependency-token-secret", 200)],
            _rig.GitLab.Downloads
        );
        var upload = Assert.Single(_rig.GitLab.Uploads);
        Assert.Equal(
            (id, $"job-token-{id}-secret", "file", "bundle.zip", 201),
            (upload.JobId, upload.JobToken, upload.FileField, upload.FileName, upload.Status)
        );
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["artifact_format"] = "zip",
                ["artifact_type"] = "archive",
                ["expire_in"] = "1 week",
            },
            upload.Parameters
        );
        // out/ without its .log, and the link to /etc neither followed nor stored.
        Assert.Equal(new Dictionary<string, string> { ["out/a.txt"] = "a\n" }, Unzip(upload.Bytes));

        // The next job on this agent finds the cache; an artifact for failures is not uploaded for a success.
        var next = Interlocked.Increment(ref _nextJob);
        var second = Job(next, _rig.Git.SecondCommit, ["cat .cache/c.txt"], []);
        second["cache"] = new JsonArray(
            new JsonObject
            {
                ["key"] = "deps-1",
                ["untracked"] = false,
                ["policy"] = "pull",
                ["paths"] = new JsonArray(".cache/"),
                ["when"] = "on_success",
            }
        );
        second["artifacts"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "logs",
                ["untracked"] = false,
                ["paths"] = new JsonArray("."),
                ["when"] = "on_failure",
                ["artifact_type"] = "archive",
                ["artifact_format"] = "zip",
            }
        );
        _rig.GitLab.Enqueue(second);
        var cached = await FinishedAsync(next);
        Assert.True(cached.Final!.State == "success", cached.TraceText);
        Assert.Contains("$ cat .cache/c.txt\ncached\n", cached.TraceText);
        Assert.Single(_rig.GitLab.Uploads);

        // A failed job's untracked files (not those git checked out) for on_failure; a 413 fails the job, naming it.
        var failing = Interlocked.Increment(ref _nextJob);
        var third = Job(failing, _rig.Git.SecondCommit, ["echo u > untracked.txt", "exit 4"], []);
        third["artifacts"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "",
                ["untracked"] = true,
                ["paths"] = new JsonArray(),
                ["when"] = "on_failure",
                ["artifact_type"] = "archive",
                ["artifact_format"] = "zip",
            }
        );
        _rig.GitLab.Enqueue(third);
        var failed = await FinishedAsync(failing);
        Assert.Equal(
            ("failed", "script_failure", 4),
            (failed.Final!.State, failed.Final.FailureReason, failed.Final.ExitCode)
        );
        var untracked = _rig.GitLab.Uploads.Last();
        Assert.Equal(("artifacts.zip", 201), (untracked.FileName, untracked.Status));
        Assert.Equal(new Dictionary<string, string> { ["untracked.txt"] = "u\n" }, Unzip(untracked.Bytes));

        _rig.GitLab.MaxArtifactsBytes = 10;
        var large = Interlocked.Increment(ref _nextJob);
        var fourth = Job(large, _rig.Git.SecondCommit, ["echo big > big.txt"], []);
        fourth["artifacts"] = new JsonArray(
            new JsonObject
            {
                ["name"] = "big",
                ["untracked"] = false,
                ["paths"] = new JsonArray("big.txt"),
                ["when"] = "always",
                ["artifact_type"] = "archive",
                ["artifact_format"] = "zip",
            }
        );
        _rig.GitLab.Enqueue(fourth);
        var refused = await FinishedAsync(large);
        Assert.Equal("failed", refused.Final!.State);
        Assert.Contains("uploading artifacts failed: GitLab refused the archive as too large (413)", refused.TraceText);
        Assert.Equal(413, _rig.GitLab.Uploads.Last().Status);
        await NothingLeftBehindAsync(large);
    }

    [Fact]
    public async Task A_dependency_whose_zip_escapes_the_workspace_fails_the_job_before_its_scripts_and_writes_nothing_outside()
    {
        const long dependency = 5001;
        var outside = Path.Combine(_rig.Harness.ScratchRoot, $"escaped-{Guid.NewGuid():N}.txt");
        _rig.GitLab.AddArtifacts(
            dependency,
            "dependency-token-2",
            Zip(("ok.txt", "fine\n"), ($"../../{Path.GetFileName(outside)}", "evil\n"))
        );
        var id = Interlocked.Increment(ref _nextJob);
        var job = Job(id, _rig.Git.SecondCommit, ["echo script-ran"], []);
        job["dependencies"] = new JsonArray(
            new JsonObject
            {
                ["id"] = dependency,
                ["token"] = "dependency-token-2",
                ["name"] = "evil",
                ["artifacts_file"] = new JsonObject { ["filename"] = "artifacts.zip", ["size"] = 100 },
            }
        );
        _rig.GitLab.Enqueue(job);

        var finished = await FinishedAsync(id);

        Assert.Equal("failed", finished.Final!.State);
        Assert.Contains("the artifacts of evil (5001) cannot be unzipped: zip entry '../../", finished.TraceText);
        Assert.DoesNotContain("script-ran", finished.TraceText);
        Assert.False(File.Exists(outside));
        await NothingLeftBehindAsync();
    }

    private static byte[] Zip(params (string Name, string Text)[] files)
    {
        using var buffer = new MemoryStream();
        using (
            var zip = new System.IO.Compression.ZipArchive(
                buffer,
                System.IO.Compression.ZipArchiveMode.Create,
                leaveOpen: true
            )
        )
            foreach (var (name, text) in files)
                using (var entry = new StreamWriter(zip.CreateEntry(name).Open()))
                    entry.Write(text);
        return buffer.ToArray();
    }

    public static Dictionary<string, string> Unzip(byte[] bytes)
    {
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(bytes));
        return zip.Entries.ToDictionary(e => e.FullName, e => new StreamReader(e.Open()).ReadToEnd());
    }

    private async Task<FakeGitLab.Job> FinishedAsync(long id)
    {
        await AgentHarness.UntilAsync(
            () => Task.FromResult(_rig.GitLab.JobOf(id)?.Final is not null),
            $"job {id} reported"
        );
        return _rig.GitLab.JobOf(id)!;
    }

    /// <summary>
    /// The CI run (of <paramref name="jobId"/> when the test ran several: its log names the job's script).
    /// </summary>
    private async Task<RunView> CiRunAsync(long? jobId = null)
    {
        var runs = await _rig.Harness.Admin.GetFromJsonAsync<RunListView>("api/v1/runs?limit=0", HearthJson.Options);
        var summary = jobId is null
            ? Assert.Single(runs!.Runs, r => r.Kind == "ci_job")
            : runs!.Runs.Where(r => r.Kind == "ci_job").OrderByDescending(r => r.CreatedAt).First();
        return await _rig.Harness.WaitEndedAsync(summary.Id);
    }

    /// <summary>
    /// Every accepted patch starts where the one before ended; together they are the trace GitLab holds.
    /// </summary>
    private static void AssertContiguous(FakeGitLab.Job job)
    {
        var accepted = job.Patches.Where(p => p.Status == 202).ToList();
        Assert.NotEmpty(accepted);
        long next = 0;
        foreach (var patch in accepted)
        {
            Assert.Equal(next, patch.Start);
            Assert.Equal(patch.Start + patch.Bytes.Length - 1, patch.End);
            next = patch.End + 1;
        }
        Assert.Equal(job.Trace.ToArray(), accepted.SelectMany(p => p.Bytes).ToArray());
    }

    private static void AssertChecksum(FakeGitLab.Job job)
    {
        var bytes = job.Trace.ToArray();
        Assert.Equal($"crc32:{System.IO.Hashing.Crc32.HashToUInt32(bytes):x8}", job.Final!.Checksum);
        Assert.Equal(bytes.Length, job.Final.Bytesize);
    }

    /// <summary>
    /// Once the job is reported, nothing of its task is left on the agent: no workspace, no sandbox scratch or state
    /// directory (idle scratch directories the driver keeps for reuse are renamed, and hold nothing of the task), and
    /// no process of the job.
    /// </summary>
    private async Task NothingLeftBehindAsync(long? jobId = null)
    {
        var task = Hearth.Core.Runs.TaskIds.ForCommand((await CiRunAsync(jobId)).Id);
        await AgentHarness.UntilAsync(
            () => Task.FromResult(Leftovers(task).Count == 0),
            $"nothing of task {task} left"
        );
        Assert.DoesNotContain(System.Diagnostics.Process.GetProcessesByName("sleep"), p =>
            EnvironmentOf(p.Id).Contains(task)
        );
    }

    private List<string> Leftovers(string task) =>
        [
            .. new[] { _rig.Harness.ScratchRoot, _rig.Harness.StateDirectory }
                .Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFileSystemEntries(d, "*", SearchOption.AllDirectories))
                .Where(e => Path.GetFileName(e).Contains(task, StringComparison.Ordinal)),
        ];

    private static string EnvironmentOf(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ");
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    internal static JsonObject Var(string key, string value, bool masked = false, bool file = false) =>
        new()
        {
            ["key"] = key,
            ["value"] = value,
            ["public"] = !masked,
            ["masked"] = masked,
            ["file"] = file,
            ["raw"] = false,
        };

    private JsonObject Job(long id, string sha, string[] script, string[] afterScript, params JsonObject[] variables) =>
        JobJson(id, _rig.Git.Url, sha, script, afterScript, variables);

    /// <summary>A job as GitLab's /jobs/request answers it.</summary>
    public static JsonObject JobJson(
        long id,
        string repository,
        string sha,
        string[] script,
        string[] afterScript,
        params JsonObject[] variables
    )
    {
        var token = $"job-token-{id}-secret";
        var vars = new JsonArray(
            Var("CI_JOB_ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Var("CI_JOB_TOKEN", token, masked: true)
        );
        foreach (var v in variables)
            vars.Add(v);
        var steps = new JsonArray(
            new JsonObject
            {
                ["name"] = "script",
                ["script"] = new JsonArray(script.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                ["timeout"] = 3600,
                ["when"] = "on_success",
                ["allow_failure"] = false,
            }
        );
        if (afterScript.Length > 0)
            steps.Add(
                new JsonObject
                {
                    ["name"] = "after_script",
                    ["script"] = new JsonArray(afterScript.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
                    ["timeout"] = 300,
                    ["when"] = "always",
                    ["allow_failure"] = true,
                }
            );
        return new JsonObject
        {
            ["id"] = id,
            ["token"] = token,
            ["allow_git_fetch"] = true,
            ["job_info"] = new JsonObject
            {
                ["name"] = "test",
                ["stage"] = "test",
                ["project_id"] = 1,
                ["project_name"] = "project",
            },
            ["git_info"] = new JsonObject
            {
                ["repo_url"] = repository,
                ["ref"] = "main",
                ["sha"] = sha,
                ["before_sha"] = "0000000000000000000000000000000000000000",
                ["ref_type"] = "branch",
                ["refspecs"] = new JsonArray("+refs/heads/main:refs/remotes/origin/main"),
                ["depth"] = 20,
            },
            ["runner_info"] = new JsonObject { ["timeout"] = 600 },
            ["variables"] = vars,
            ["steps"] = steps,
            ["image"] = new JsonObject { ["name"] = "alpine:3.20" },
            ["services"] = new JsonArray(),
            ["artifacts"] = new JsonArray(),
            ["cache"] = new JsonArray(),
            ["dependencies"] = new JsonArray(),
            ["features"] = new JsonObject
            {
                ["trace_sections"] = true,
                ["failure_reasons"] = new JsonArray(
                    "script_failure",
                    "runner_system_failure",
                    "job_execution_timeout",
                    "unknown_failure"
                ),
            },
        };
    }
}
