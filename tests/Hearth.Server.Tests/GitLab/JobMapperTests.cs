using System.Diagnostics;
using System.Text.Json;
using Hearth.Server.Configuration;
using Hearth.Server.GitLab;
using Hearth.Store.GitLab;

namespace Hearth.Server.Tests.GitLab;

/// <summary>How a GitLab job becomes a CI-job task (pure), and the job script run by a real sh.</summary>
public sealed class JobMapperTests
{
    private static readonly GitLabRunnerRecord Runner = new(
        "fake",
        "https://gitlab.example.com/",
        7,
        "k",
        "c",
        ["linux"],
        "oci",
        "alpine:3.20",
        "admin",
        DateTimeOffset.UnixEpoch
    );

    private static JobResponse Job(params JobVariable[] variables) =>
        new()
        {
            Id = 42,
            Token = "job-token",
            GitInfo = new GitInfo(
                "https://gitlab-ci-token:job-token@gitlab.example.com/group/project.git",
                "main",
                "abc1234",
                null,
                "branch",
                ["+refs/heads/main:refs/remotes/origin/main"],
                20
            ),
            RunnerInfo = new JobRunnerInfo(900),
            Variables = variables,
            Steps = [new JobStep("script", ["echo hi"], 900, "on_success", false)],
        };

    private static JobVariable Tags(string json) => new("CI_JOB_TAGS", json, true, false, false, false, false);

    [Theory]
    [InlineData("firecracker-4cpu-8gb", 4, 8L << 30)]
    [InlineData("microvm-1cpu-1gb", 1, 1L << 30)]
    [InlineData("firecracker-2cpu-512mb", 2, 512L << 20)]
    [InlineData("actuated-16cpu-64gb", 16, 64L << 30)]
    public void A_size_tag_sets_cpus_and_memory(string tag, int cpus, long memory)
    {
        var (plan, refusal) = JobMapper.Map(Job(Tags($"[\"{tag}\"]")), Runner, new GitLabOptions());
        Assert.Null(refusal);
        Assert.Equal(cpus, plan!.Spec.Cpus);
        Assert.Equal(memory, plan.Spec.MemoryBytes);
    }

    [Theory]
    [InlineData("firecracker-0cpu-8gb", "tag 'firecracker-0cpu-8gb': 0 CPUs is outside 1 to 16 (gitlab.max_cpus)")]
    [InlineData(
        "firecracker-2cpu-65gb",
        "tag 'firecracker-2cpu-65gb': 65 GB of memory is outside 1 to 64 GB (gitlab.max_memory_bytes)"
    )]
    [InlineData(
        "firecracker-2cpus-4gb",
        "tag 'firecracker-2cpus-4gb': expected firecracker or firecracker-<N>cpu-<M>gb (e.g. firecracker-2cpu-4gb, firecracker-2cpu-512mb)"
    )]
    [InlineData(
        "macos",
        "none of the job's tags (macos) is this runner's: a tag must start with firecracker, microvm, firerunner, actuated or be one of linux"
    )]
    public void A_malformed_or_out_of_bounds_size_or_a_foreign_tag_refuses_the_job_with_the_reason(
        string tag,
        string reason
    )
    {
        var (plan, refusal) = JobMapper.Map(Job(Tags($"[\"{tag}\"]")), Runner, new GitLabOptions());
        Assert.Null(plan);
        Assert.Equal(new JobRefusal(reason, "script_failure"), refusal);
    }

    [Fact]
    public void A_runner_tag_or_no_job_tags_at_all_takes_the_job_at_the_default_size()
    {
        foreach (var job in new[] { Job(Tags("[\"linux\"]")), Job() })
        {
            var (plan, refusal) = JobMapper.Map(job, Runner, new GitLabOptions());
            Assert.Null(refusal);
            Assert.Null(plan!.Spec.Cpus);
        }
    }

    [Fact]
    public void The_task_keeps_no_token_the_image_the_sha_and_the_timeout()
    {
        var (plan, _) = JobMapper.Map(
            Job(new JobVariable("SECRET", "v", false, false, false, true, false)),
            Runner,
            new GitLabOptions()
        );
        var spec = plan!.Spec;
        // oci: the agent checks the commit out on its host into the workspace the container gets; the script fetches
        // nothing.
        Assert.Equal(
            new Hearth.Core.Runs.GitSource("https://gitlab.example.com/group/project.git", "abc1234"),
            spec.Git
        );
        Assert.DoesNotContain("git fetch", spec.Command[2]);
        Assert.Contains("CI_PROJECT_DIR=\"${CI_PROJECT_DIR:-$PWD}\"", spec.Command[2]);
        Assert.Equal("alpine:3.20", spec.Image);
        Assert.Equal(TimeSpan.FromSeconds(900), spec.Timeout);
        Assert.Equal("true", spec.Requirements["driver.oci"]);
        var stored = JsonSerializer.Serialize(spec, Hearth.Core.HearthJson.Options);
        Assert.DoesNotContain("job-token", stored);
        Assert.DoesNotContain("\"v\"", stored);
        Assert.Equal("fake/42", spec.Env[GitLabJobStep.JobVariable]);

        // microvm: as oci, the agent checks the commit out on its host (carried into the VM on its workspace disk), and
        // the job's artifacts and cache are moved as on oci.
        var (vmPlan, vmRefusal) = JobMapper.Map(
            Job() with
            {
                Artifacts = [new JobArtifact("a", false, ["out/"], null, "archive", null)],
            },
            Runner with
            {
                Driver = "microvm",
            },
            new GitLabOptions()
        );
        Assert.Null(vmRefusal);
        var vm = vmPlan!.Spec;
        Assert.Equal(new Hearth.Core.Runs.GitSource("https://gitlab.example.com/group/project.git", "abc1234"), vm.Git);
        Assert.DoesNotContain("git fetch", vm.Command[2]);
        Assert.Equal("alpine:3.20", vm.Image);
        Assert.Equal("true", vm.Requirements["driver.microvm"]);
        Assert.Equal(["out/"], Assert.Single(vmPlan.Secrets.Files!.Artifacts).Paths);

        var bubblewrap = JobMapper.Map(Job(), Runner with { Driver = "bubblewrap" }, new GitLabOptions()).Plan!.Spec;
        Assert.Equal(
            new Hearth.Core.Runs.GitSource("https://gitlab.example.com/group/project.git", "abc1234"),
            bubblewrap.Git
        );
        Assert.Null(bubblewrap.Image);
        Assert.DoesNotContain("git fetch", bubblewrap.Command[2]);
    }

    [Fact]
    public void Unsupported_keywords_are_named()
    {
        var services = Job() with { Services = [new JobImage("postgres:16", null, null, null)] };
        var reports = Job() with
        {
            Artifacts =
            [
                new JobArtifact("junit", false, ["report.xml"], "always", "junit", "1 week") { Format = "gzip" },
            ],
        };
        var steps = Job() with { Run = "- step: x" };
        Assert.Equal(
            "this runner does not support the services keyword",
            JobMapper.Map(services, Runner, new GitLabOptions()).Refusal!.Reason
        );
        Assert.Equal(
            "this runner does not support artifacts:reports (junit)",
            JobMapper.Map(reports, Runner, new GitLabOptions()).Refusal!.Reason
        );
        Assert.Equal(
            "this runner does not support the run (GitLab Steps) keyword",
            JobMapper.Map(steps, Runner, new GitLabOptions()).Refusal!.Reason
        );
    }

    [Fact]
    public void Artifacts_dependencies_and_the_cache_reach_the_jobs_sealed_secrets_with_gitlabs_defaults()
    {
        var job = Job() with
        {
            Artifacts =
            [
                new JobArtifact(null, false, ["out/", "dist/*.tar"], null, "archive", "1 week")
                {
                    Exclude = ["out/*.log"],
                    Format = "zip",
                },
                new JobArtifact("empty", false, [], "always", "archive", null),
            ],
            Dependencies =
            [
                new JobDependency(7, "dep-token", "build")
                {
                    ArtifactsFile = new DependencyArtifactsFile("artifacts.zip", 120),
                },
                new JobDependency(8, "other-token", "lint"),
            ],
            Cache =
            [
                new JobCache("deps", false, null, ["vendor/"], null),
                new JobCache("none", false, "pull", [], null),
            ],
        };

        var (plan, refusal) = JobMapper.Map(job, Runner, new GitLabOptions());

        Assert.Null(refusal);
        var files = plan!.Secrets.Files!;
        Assert.Equal(("https://gitlab.example.com/", 42L, "job-token"), (files.GitLabUrl, files.JobId, files.JobToken));
        var artifact = Assert.Single(files.Artifacts);
        Assert.Equal(("artifacts", "on_success", "1 week"), (artifact.Name, artifact.When, artifact.ExpireIn));
        Assert.Equal(["out/", "dist/*.tar"], artifact.Paths);
        Assert.Equal(["out/*.log"], artifact.Exclude);
        // A dependency without an artifacts file has nothing to download.
        Assert.Equal([new Hearth.Core.Api.CiDependency(7, "dep-token", "build", "artifacts.zip")], files.Dependencies);
        var cache = Assert.Single(files.Caches);
        Assert.Equal(
            ("deps", false, "pull-push", "on_success"),
            (cache.Key, cache.Untracked, cache.Policy, cache.When)
        );
        Assert.Equal(["vendor/"], cache.Paths);
        // The tokens never reach the stored task.
        Assert.DoesNotContain("dep-token", JsonSerializer.Serialize(plan.Spec, Hearth.Core.HearthJson.Options));
    }

    [Theory]
    [InlineData("artifacts", "../secrets", "artifacts:paths: '../secrets' is outside the project directory")]
    [InlineData("artifacts", "/etc/passwd", "artifacts:paths: '/etc/passwd' is outside the project directory")]
    [InlineData("when", "sometimes", "artifacts:when: expected on_success, on_failure or always, got 'sometimes'")]
    [InlineData("policy", "pull-only", "cache:policy: expected pull-push, pull or push, got 'pull-only'")]
    [InlineData("format", "gzip", "this runner does not support the artifact format 'gzip' (only zip)")]
    public void Artifacts_and_cache_hearth_cannot_honour_refuse_the_job_naming_why(
        string what,
        string value,
        string reason
    )
    {
        var job = what switch
        {
            "artifacts" => Job() with { Artifacts = [new JobArtifact("a", false, [value], null, "archive", null)] },
            "when" => Job() with { Artifacts = [new JobArtifact("a", false, ["out/"], value, "archive", null)] },
            "format" => Job() with
            {
                Artifacts = [new JobArtifact("a", false, ["out/"], null, "archive", null) { Format = value }],
            },
            _ => Job() with { Cache = [new JobCache("k", false, value, ["vendor/"], null)] },
        };
        Assert.Equal(reason, JobMapper.Map(job, Runner, new GitLabOptions()).Refusal!.Reason);
    }

    [Fact]
    public void A_failure_reason_gitlab_does_not_list_becomes_unknown_failure_but_the_three_every_gitlab_knows_stay()
    {
        Assert.Equal("unknown_failure", FailureReasons.Pick("image_pull_failure", ["script_failure"]));
        Assert.Equal("job_execution_timeout", FailureReasons.Pick("job_execution_timeout", []));
    }

    [Fact]
    public async Task The_script_echoes_each_line_stops_at_the_first_failure_and_runs_after_script_with_the_job_status()
    {
        var script = JobScript.Build(
            ["echo 'it''s'", "false", "echo never"],
            ["echo \"after=$CI_JOB_STATUS\""],
            TimeSpan.FromSeconds(5),
            []
        );
        var (code, output) = await ShAsync(script);
        Assert.Equal(1, code);
        Assert.Equal(
            "$ echo 'it''s'\nits\n$ false\nRunning after_script\n$ echo \"after=$CI_JOB_STATUS\"\nafter=failed\n",
            output
        );
    }

    [Fact]
    public async Task After_script_is_cut_at_its_own_timeout_and_a_file_variable_is_a_file()
    {
        var script = JobScript.Build(["cat \"$CFG\""], ["sleep 30", "echo never"], TimeSpan.FromSeconds(1), ["CFG"]);
        var watch = Stopwatch.StartNew();
        var (code, output) = await ShAsync(script, ("CFG", "file-content"));
        Assert.Equal(0, code);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.StartsWith("$ cat \"$CFG\"\nfile-content$ sleep 30\n", output.Replace("Running after_script\n", ""));
        Assert.DoesNotContain("never", output);
    }

    private static async Task<(int Code, string Output)> ShAsync(string script, params (string, string)[] env)
    {
        // In a process group of its own, so what a cut after_script started can be ended with it.
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var (k, v) in env)
            info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        // What a cut after_script had started is ended with the sandbox (its PID namespace); here, with the process
        // group.
        using (
            var kill = Process.Start(
                new ProcessStartInfo("kill", ["-KILL", "--", $"-{process.Id}"]) { RedirectStandardError = true }
            )!
        )
            await kill.WaitForExitAsync();
        return (process.ExitCode, await output);
    }
}
