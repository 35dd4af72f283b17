using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth run's lock and git workspace options (shared with playbook run), and their translation into the request.
/// </summary>
public sealed class RunLockGitOptions
{
    public Option<string?> Lock { get; } =
        new("--lock")
        {
            Description = "Start only while holding this cluster-wide lock; runs queue for it first in, first out",
        };
    public Option<string?> LockWait { get; } =
        new("--lock-wait") { Description = "Fail the run if the lock is not granted within this long (e.g. 30s, 10m)" };
    public Option<bool> NoWait { get; } =
        new("--no-wait") { Description = "Fail at once, creating nothing, when the lock is held" };
    public Option<string?> GitRepo { get; } =
        new("--git-repo", "-g") { Description = "Clone this repository into the workspace before the command" };
    public Option<string?> GitRef { get; } =
        new("--git-ref", "-r")
        {
            Description = "Branch, tag or commit SHA to check out (default: the remote's default branch)",
        };
    public Option<string?> GitPath { get; } =
        new("--git-path") { Description = "Run the command in this directory of the checkout" };
    public Option<string?> GitSecret { get; } =
        new("--git-secret") { Description = "Secret holding the clone's credentials (token or user:token)" };

    public IEnumerable<Option> All => [Lock, LockWait, NoWait, GitRepo, GitRef, GitPath, GitSecret];

    /// <summary>
    /// Adds what was given on the command line; values already in <paramref name="body"/> (a playbook's) stay unless
    /// overridden.
    /// </summary>
    public CreateRunBody Apply(ParseResult result, CreateRunBody body)
    {
        var lockName = result.GetValue(Lock) ?? body.Lock;
        var wait = result.GetValue(LockWait);
        var noWait = result.GetValue(NoWait);
        if (lockName is null && (wait is not null || noWait))
            throw new CliException("--lock-wait and --no-wait need --lock NAME", 2);
        if (wait is not null && noWait)
            throw new CliException("--lock-wait and --no-wait: choose one", 2);
        double? waitSeconds = null;
        if (wait is not null)
        {
            if (!Durations.TryParse(wait, out var w) || w <= TimeSpan.Zero)
                throw new CliException($"--lock-wait '{wait}': expected a duration such as 30s or 10m", 2);
            waitSeconds = w.TotalSeconds;
        }
        var repo = result.GetValue(GitRepo) ?? body.GitRepo;
        var gitRef = result.GetValue(GitRef) ?? body.GitRef;
        var path = result.GetValue(GitPath) ?? body.GitPath;
        var secret = result.GetValue(GitSecret) ?? body.GitSecret;
        if (repo is null && (gitRef is not null || path is not null || secret is not null))
            throw new CliException("--git-ref, --git-path and --git-secret need --git-repo URL", 2);
        return body with
        {
            Lock = lockName,
            LockWaitSeconds = waitSeconds ?? body.LockWaitSeconds,
            NoWait = noWait || body.NoWait,
            GitRepo = repo,
            GitRef = gitRef,
            GitPath = path,
            GitSecret = secret,
        };
    }
}
