using Hearth.Core.Api;

namespace Hearth.Server.GitLab;

/// <summary>
/// A job's <c>artifacts</c>, <c>dependencies</c> and <c>cache</c> as GitLab sends them, checked and turned into what
/// the job's agent moves around its command (pure: no I/O). Archive artifacts (zip) are supported; reports (junit, …)
/// and other formats refuse the job by name, as does a path outside the project directory.
/// </summary>
public static class JobFiles
{
    public const string DefaultArtifactsName = "artifacts";
    private static readonly string[] Whens = ["on_success", "on_failure", "always"];
    private static readonly string[] Policies = ["pull-push", "pull", "push"];

    /// <returns>The files to move (null when the job has none), or why the job cannot run.</returns>
    public static (CiJobFiles? Files, string? Refusal) From(JobResponse job, string gitLabUrl, string runnerName)
    {
        var artifacts = new List<CiArtifactUpload>();
        foreach (var artifact in job.Artifacts ?? [])
        {
            if (artifact.Type is { Length: > 0 } type && type != "archive")
                return (null, $"this runner does not support artifacts:reports ({type})");
            if (artifact.Format is { Length: > 0 } format && format != "zip")
                return (null, $"this runner does not support the artifact format '{format}' (only zip)");
            var when = string.IsNullOrEmpty(artifact.When) ? "on_success" : artifact.When;
            if (!Whens.Contains(when))
                return (null, $"artifacts:when: expected on_success, on_failure or always, got '{when}'");
            var paths = artifact.Paths ?? [];
            var exclude = artifact.Exclude ?? [];
            if (paths.Concat(exclude).FirstOrDefault(p => !Inside(p)) is { } outside)
                return (null, $"artifacts:paths: '{outside}' is outside the project directory");
            if (paths.Count == 0 && !artifact.Untracked)
                continue;
            var name = string.IsNullOrWhiteSpace(artifact.Name) ? DefaultArtifactsName : artifact.Name;
            artifacts.Add(
                new CiArtifactUpload(
                    name,
                    paths,
                    exclude,
                    artifact.Untracked,
                    when,
                    string.IsNullOrEmpty(artifact.ExpireIn) ? null : artifact.ExpireIn
                )
            );
        }
        var dependencies = new List<CiDependency>();
        foreach (var dependency in job.Dependencies ?? [])
        {
            // A job without artifacts is listed with no file: there is nothing to download.
            if (dependency.ArtifactsFile?.Filename is not { Length: > 0 } file)
                continue;
            if (string.IsNullOrEmpty(dependency.Token))
                return (null, $"dependencies: job {dependency.Id} ({dependency.Name}) came without a token");
            dependencies.Add(
                new CiDependency(dependency.Id, dependency.Token, dependency.Name ?? $"job {dependency.Id}", file)
            );
        }
        var caches = new List<CiCache>();
        foreach (var cache in job.Cache ?? [])
        {
            var paths = cache.Paths ?? [];
            if (paths.Count == 0 && !cache.Untracked)
                continue;
            var policy = string.IsNullOrEmpty(cache.Policy) ? "pull-push" : cache.Policy;
            if (!Policies.Contains(policy))
                return (null, $"cache:policy: expected pull-push, pull or push, got '{policy}'");
            var when = string.IsNullOrEmpty(cache.When) ? "on_success" : cache.When;
            if (!Whens.Contains(when))
                return (null, $"cache:when: expected on_success, on_failure or always, got '{when}'");
            if (paths.FirstOrDefault(p => !Inside(p)) is { } outside)
                return (null, $"cache:paths: '{outside}' is outside the project directory");
            caches.Add(
                new CiCache(
                    string.IsNullOrEmpty(cache.Key) ? "default" : cache.Key,
                    paths,
                    cache.Untracked,
                    policy,
                    when
                )
            );
        }
        if (artifacts.Count == 0 && dependencies.Count == 0 && caches.Count == 0)
            return (null, null);
        return (
            new CiJobFiles(gitLabUrl, job.Id, job.Token, artifacts, dependencies, caches, $"{runnerName}@{gitLabUrl}"),
            null
        );
    }

    /// <summary>A relative path (or glob) that stays inside the project directory.</summary>
    public static bool Inside(string path)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\0'))
            return false;
        var depth = 0;
        foreach (var part in path.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
                depth--;
            else if (part != ".")
                depth++;
            if (depth < 0)
                return false;
        }
        return true;
    }
}
