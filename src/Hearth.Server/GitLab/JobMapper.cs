using System.Text.Json;
using Hearth.Core.Runs;
using Hearth.Server.Configuration;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>A job Hearth takes: the task that runs it, and what only its agent may see.</summary>
public sealed record JobPlan(TaskSpec Spec, GitLabJobSecrets Secrets);

/// <summary>A job Hearth cannot run as asked: why, in words for the job's trace, and GitLab's failure reason.</summary>
public sealed record JobRefusal(string Reason, string FailureReason);

/// <summary>
/// Turns a job GitLab handed out into a CI-job task (pure: no I/O): its tags checked and sized, its image, timeout,
/// checkout at the job's SHA, its script, its artifacts, dependencies and cache. What Hearth does not do (services,
/// artifacts:reports, GitLab Steps) refuses the job, naming the keyword, never silently.
/// </summary>
public static class JobMapper
{
    private static readonly string[] ImageDrivers = ["oci", "microvm"];

    public static (JobPlan? Plan, JobRefusal? Refusal) Map(
        JobResponse job,
        GitLabRunnerRecord runner,
        GitLabOptions options
    )
    {
        if (Unsupported(job) is { } keyword)
            return (
                null,
                new JobRefusal($"this runner does not support the {keyword} keyword", FailureReasons.Configuration)
            );
        var variables = job.Variables ?? [];
        var (size, tagError) = SizeFromTags(variables, runner, options);
        if (tagError is not null)
            return (null, new JobRefusal(tagError, FailureReasons.Configuration));
        var steps = job.Steps ?? [];
        if (steps.FirstOrDefault(s => s.Name is not ("script" or "after_script")) is { } step)
            return (
                null,
                new JobRefusal($"this runner does not support the job step '{step.Name}'", FailureReasons.Configuration)
            );
        var script = steps.Where(s => s.Name == "script").SelectMany(s => s.Script ?? []).ToList();
        var after = steps.Where(s => s.Name == "after_script").SelectMany(s => s.Script ?? []).ToList();
        var afterStep = steps.FirstOrDefault(s => s.Name == "after_script");
        var afterTimeout = afterStep is { Timeout: > 0 }
            ? TimeSpan.FromSeconds(afterStep.Timeout)
            : options.AfterScriptTimeout;
        var files = variables
            .Where(v => v.File)
            .Select(v => v.Key)
            .Where(IsVariableName)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        var image = job.Image?.Name is { Length: > 0 } named ? named : runner.Image;
        var usesImage = ImageDrivers.Contains(runner.Driver, StringComparer.Ordinal);
        var repository = WithoutCredentials(job.GitInfo.RepoUrl);
        if (!IsSha(job.GitInfo.Sha))
            return (
                null,
                new JobRefusal($"git_info.sha: expected a commit id, got '{job.GitInfo.Sha}'", FailureReasons.System)
            );
        // The agent checks the commit out into the task's workspace on its host, as gitlab-runner's helper does: bound
        // into an oci container, carried into a microVM on its workspace disk (and read back after the scripts).
        var (jobFiles, filesRefusal) = JobFiles.From(job, runner.Url, runner.Name);
        if (filesRefusal is not null)
            return (null, new JobRefusal(filesRefusal, FailureReasons.Configuration));
        var spec = new TaskSpec
        {
            Command = ["/bin/sh", "-c", JobScript.Build(script, after, afterTimeout, files), $"gitlab-job-{job.Id}"],
            Env = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [GitLabJobStep.JobVariable] = $"{runner.Name}/{job.Id}",
            },
            Driver = runner.Driver,
            Image = usesImage ? image : null,
            Network = true,
            Cpus = size?.Cpus,
            MemoryBytes = size?.MemoryBytes,
            Timeout = job.RunnerInfo is { Timeout: > 0 } info ? TimeSpan.FromSeconds(info.Timeout) : null,
            Requirements = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [$"driver.{runner.Driver}"] = "true",
            },
            Git = new GitSource(repository, job.GitInfo.Sha),
        };
        return (new JobPlan(spec, new GitLabJobSecrets(job.Token, variables) { Files = jobFiles }), null);
    }

    private static string? Unsupported(JobResponse job)
    {
        if (!string.IsNullOrEmpty(job.Run))
            return "run (GitLab Steps)";
        if (job.Services is { Count: > 0 })
            return "services";
        if (job.Image?.Entrypoint is { Count: > 0 })
            return "image:entrypoint";
        return null;
    }

    /// <summary>
    /// The job's tags (CI_JOB_TAGS, GitLab 19.3 and later): at least one must be a microVM tag or one of the runner's
    /// own; the first microVM tag with a size sets it. Without CI_JOB_TAGS GitLab matched the tags itself.
    /// </summary>
    private static (JobSize.Size? Size, string? Error) SizeFromTags(
        IReadOnlyList<JobVariable> variables,
        GitLabRunnerRecord runner,
        GitLabOptions options
    )
    {
        var tagsVariable = variables.FirstOrDefault(v => v.Key == "CI_JOB_TAGS")?.Value;
        if (string.IsNullOrEmpty(tagsVariable))
            return (null, null);
        string[] tags;
        try
        {
            tags = JsonSerializer.Deserialize(tagsVariable, GitLabJsonContext.Default.StringArray) ?? [];
        }
        catch (JsonException)
        {
            return (null, $"CI_JOB_TAGS: expected a JSON array of tags, got '{tagsVariable}'");
        }
        var ours = tags.Where(t => JobSize.PrefixOf(t) is not null || runner.Tags.Contains(t, StringComparer.Ordinal))
            .ToList();
        if (tags.Length > 0 && ours.Count == 0)
            return (
                null,
                $"none of the job's tags ({string.Join(", ", tags)}) is this runner's: a tag must start with "
                    + $"{string.Join(", ", JobSize.Prefixes)} or be one of {(runner.Tags.Count == 0 ? "(none)" : string.Join(", ", runner.Tags))}"
            );
        foreach (var tag in ours.Where(t => JobSize.PrefixOf(t) is not null))
        {
            var (size, error) = JobSize.Parse(tag, options.MaxCpus, options.MaxMemoryBytes);
            if (error is not null || size is not null)
                return (size, error);
        }
        return (null, null);
    }

    private static bool IsSha(string sha) => sha.Length is >= 7 and <= 64 && sha.All(char.IsAsciiHexDigit);

    private static bool IsVariableName(string name) =>
        name.Length > 0
        && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>GitLab's repo_url carries the job token (https://gitlab-ci-token:TOKEN@host/…); the task keeps the URL
    /// without it, and the checkout gets the token privately.</summary>
    public static string WithoutCredentials(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString()
            : url;
}

/// <summary>
/// GitLab's failure reasons Hearth reports, and what to fall back to when a GitLab does not know one.
/// </summary>
public static class FailureReasons
{
    public const string Script = "script_failure";
    public const string System = "runner_system_failure";
    public const string Timeout = "job_execution_timeout";

    /// <summary>
    /// A job Hearth cannot run as configured (gitlab-runner's configuration_error, which GitLab takes as a script
    /// failure).
    /// </summary>
    public const string Configuration = Script;
    public const string Unknown = "unknown_failure";

    private static readonly string[] AlwaysSupported = [Script, System, Timeout];

    /// <summary>
    /// The reason, if GitLab listed it as supported (or it is one every GitLab knows); else unknown_failure.
    /// </summary>
    public static string Pick(string reason, IReadOnlyList<string>? supported) =>
        AlwaysSupported.Contains(reason) || supported is null || supported.Contains(reason) ? reason : Unknown;
}
