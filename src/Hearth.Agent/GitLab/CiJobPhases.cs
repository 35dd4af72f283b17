using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Hearth.Core.Api;
using Hearth.Core.Logs;

namespace Hearth.Agent.GitLab;

/// <summary>
/// A GitLab job's files, moved by its agent around its command, as gitlab-runner's helper does: before, the artifacts
/// of the jobs it depends on (downloaded with each one's token and unzipped into the project directory) and its cache
/// (restored); after, its cache (saved, by key, on this agent) and its artifacts (zipped from the project directory and
/// uploaded with the job's token, when their <c>when</c> holds). What they do is said in the job's trace; a failure
/// ends the job with the reason. The cache lives in <see cref="CacheRoot"/>, a zip per runner and key: it is this
/// agent's only, not shared with other agents.
/// </summary>
public sealed class CiJobPhases(GitLabArtifactsClient client, string cacheRoot)
{
    public string CacheRoot { get; } = cacheRoot;

    /// <summary>
    /// What <see cref="BeforeAsync"/> learned that <see cref="AfterAsync"/> needs: the files git checked out.
    /// </summary>
    public sealed record Prepared(IReadOnlySet<string>? Tracked);

    /// <summary>
    /// Downloads dependencies' artifacts and restores the cache; returns why the job cannot go on, or null.
    /// </summary>
    public async Task<(Prepared? Prepared, string? Error)> BeforeAsync(
        CiJobFiles files,
        string projectDir,
        LogShipper log,
        CancellationToken ct
    )
    {
        IReadOnlySet<string>? tracked = null;
        if (files.Artifacts.Any(a => a.Untracked) || files.Caches.Any(c => c.Untracked))
        {
            tracked = await TrackedAsync(projectDir, ct);
            if (tracked is null)
                return (
                    null,
                    "cannot list the files git checked out (for untracked), so untracked files cannot be told apart"
                );
        }
        var gitlab = new Uri(files.GitLabUrl);
        foreach (var dependency in files.Dependencies)
        {
            await SayAsync(log, $"Downloading artifacts for {dependency.Name} ({dependency.JobId})...");
            var zip = Path.Combine(Path.GetTempPath(), $"hearth-dependency-{Guid.NewGuid():N}.zip");
            try
            {
                var outcome = await client.DownloadAsync(gitlab, dependency.JobId, dependency.Token, zip, ct);
                if (!outcome.Succeeded)
                    return (
                        null,
                        $"downloading the artifacts of {dependency.Name} ({dependency.JobId}) failed: {outcome.Error}"
                    );
                var count = CiArchive.Extract(zip, projectDir);
                await SayAsync(log, $"Downloaded artifacts of {dependency.Name} ({dependency.JobId}): {count} file(s)");
            }
            catch (InvalidDataException e)
            {
                return (
                    null,
                    $"the artifacts of {dependency.Name} ({dependency.JobId}) cannot be unzipped: {e.Message}"
                );
            }
            finally
            {
                File.Delete(zip);
            }
        }
        foreach (var cache in files.Caches.Where(c => c.Policy is "pull-push" or "pull"))
        {
            var stored = CachePath(files.CacheScope, cache.Key);
            if (!File.Exists(stored))
            {
                await SayAsync(log, $"Restoring cache {cache.Key}: none on this agent yet");
                continue;
            }
            try
            {
                var count = CiArchive.Extract(stored, projectDir);
                await SayAsync(log, $"Restored cache {cache.Key}: {count} file(s)");
            }
            catch (InvalidDataException e)
            {
                // A cache is a speed-up: one that cannot be restored is said, not fatal (as in gitlab-runner).
                await SayAsync(log, $"WARNING: cache {cache.Key} cannot be restored: {e.Message}");
            }
        }
        return (new Prepared(tracked), null);
    }

    /// <summary>Saves the cache and uploads the artifacts; returns why the job fails after all, or null.</summary>
    public async Task<string?> AfterAsync(
        CiJobFiles files,
        Prepared prepared,
        string projectDir,
        bool succeeded,
        LogShipper log,
        CancellationToken ct
    )
    {
        foreach (var cache in files.Caches.Where(c => c.Policy is "pull-push" or "push" && Holds(c.When, succeeded)))
        {
            var selected = CiArchive.Select(projectDir, cache.Paths, [], cache.Untracked ? prepared.Tracked : null);
            var stored = CachePath(files.CacheScope, cache.Key);
            Directory.CreateDirectory(Path.GetDirectoryName(stored)!);
            var partial = stored + $".{Guid.NewGuid():N}.tmp";
            CiArchive.Write(projectDir, selected, partial);
            File.Move(partial, stored, overwrite: true);
            await SayAsync(log, $"Saved cache {cache.Key}: {selected.Count} file(s)");
        }
        var gitlab = new Uri(files.GitLabUrl);
        foreach (var artifact in files.Artifacts)
        {
            if (!Holds(artifact.When, succeeded))
                continue;
            await SayAsync(log, $"Uploading artifacts for {(succeeded ? "successful" : "failed")} job...");
            var selected = CiArchive.Select(
                projectDir,
                artifact.Paths,
                artifact.Exclude,
                artifact.Untracked ? prepared.Tracked : null
            );
            if (selected.Count == 0)
            {
                await SayAsync(log, "WARNING: no files to upload");
                continue;
            }
            var zip = Path.Combine(Path.GetTempPath(), $"hearth-artifacts-{Guid.NewGuid():N}.zip");
            try
            {
                CiArchive.Write(projectDir, selected, zip);
                var name = Path.GetFileName(artifact.Name.TrimEnd('/'));
                var fileName = (name.Length == 0 || name == "." ? "artifacts" : name) + ".zip";
                var size = new FileInfo(zip).Length;
                await SayAsync(log, $"Uploading {fileName}: {selected.Count} file(s), {size} bytes");
                var outcome = await client.UploadAsync(
                    gitlab,
                    files.JobId,
                    files.JobToken,
                    zip,
                    fileName,
                    artifact.ExpireIn,
                    ct
                );
                if (!outcome.Succeeded)
                    return $"uploading artifacts failed: {outcome.Error}";
                await SayAsync(log, $"Uploaded {fileName}: 201 Created");
            }
            finally
            {
                File.Delete(zip);
            }
        }
        return null;
    }

    /// <summary>
    /// Where a cache key's zip is kept: a file per scope (runner and GitLab) and key, named by their hash.
    /// </summary>
    public string CachePath(string scope, string key)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(scope + "\n" + key)));
        return Path.Combine(CacheRoot, hash[..2], hash + ".zip");
    }

    private static bool Holds(string when, bool succeeded) =>
        when switch
        {
            "always" => true,
            "on_failure" => !succeeded,
            _ => succeeded,
        };

    private static ValueTask SayAsync(LogShipper log, string line) =>
        log.WriteAsync(LogStream.System, line, CancellationToken.None);

    /// <summary>
    /// The files git checked out (before the job ran, so the job cannot change the answer); null when git fails.
    /// </summary>
    private static async Task<IReadOnlySet<string>?> TrackedAsync(string projectDir, CancellationToken ct)
    {
        var info = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = projectDir,
        };
        foreach (var arg in new[] { "-c", "safe.directory=*", "-c", "core.fsmonitor=false", "ls-files", "-z" })
            info.ArgumentList.Add(arg);
        try
        {
            using var git = Process.Start(info)!;
            var output = git.StandardOutput.ReadToEndAsync(ct);
            _ = git.StandardError.ReadToEndAsync(ct);
            await git.WaitForExitAsync(ct);
            if (git.ExitCode != 0)
                return null;
            return (await output).Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
