using System.Collections.Concurrent;
using Hearth.Core.Runs;
using Hearth.Workflows.Execution;
using Hearth.Workflows.Loading;
using Hearth.Workflows.Model;

namespace Hearth.Server.Repositories;

/// <summary>One workflow file of a repository for one event: the plan it starts, or why it starts nothing.</summary>
public sealed record WorkflowMatch(string Workflow, WorkflowPlan? Plan, string? Skipped);

/// <summary>
/// Reads a repository's workflow files at a commit (from the server's clone cache, imports from the same commit) and
/// decides for each whether the event starts it: its triggers and their filters (<see cref="TriggerMatcher"/>).
/// </summary>
public sealed class WorkflowMatcher(GitCache git)
{
    // A file at a commit (its imports read at the same commit) always loads the same: each push delivery after the
    // first plans from the loaded workflow instead of parsing its KDL again. Bounded as the clone cache's memory is.
    private readonly ConcurrentDictionary<(string Name, string Commit, string Path), WorkflowLoadResult> _loaded =
        new();

    public async Task<IReadOnlyList<WorkflowMatch>> MatchAsync(
        GitAccess access,
        string repositoryUrl,
        string commit,
        IReadOnlyList<string> workflows,
        TriggerEvent e,
        IReadOnlyDictionary<string, string> variables,
        CancellationToken ct
    )
    {
        var matches = new List<WorkflowMatch>();
        foreach (var path in workflows)
            matches.Add(await MatchOneAsync(access, repositoryUrl, commit, path, e, variables, ct));
        return matches;
    }

    private async Task<WorkflowMatch> MatchOneAsync(
        GitAccess access,
        string repositoryUrl,
        string commit,
        string path,
        TriggerEvent e,
        IReadOnlyDictionary<string, string> variables,
        CancellationToken ct
    )
    {
        var text = await git.ReadAsync(access, commit, path, ct);
        if (text is null)
            return new WorkflowMatch(path, null, $"{path} does not exist at {commit[..12]}");
        var loaded = await LoadAsync(access, commit, path, text, ct);
        if (!loaded.Succeeded)
            return new WorkflowMatch(
                path,
                null,
                "invalid workflow: " + string.Join("; ", loaded.Diagnostics.Take(3).Select(d => d.ToString()))
            );
        var workflow = loaded.Workflow!;
        if (TriggerMatcher.Refusal(workflow, e) is { } refusal)
            return new WorkflowMatch(path, null, refusal);
        // Secrets its steps name are decided by the repository's grants (RepositorySecretPolicy), not here.
        return new WorkflowMatch(
            path,
            WorkflowPlanner.Plan(workflow, variables, name: path, repository: repositoryUrl),
            null
        );
    }

    private async Task<WorkflowLoadResult> LoadAsync(
        GitAccess access,
        string commit,
        string path,
        string text,
        CancellationToken ct
    )
    {
        var key = (access.Name, commit, path);
        if (_loaded.TryGetValue(key, out var known))
            return known;
        var options = new WorkflowLoaderOptions { ImportFetcher = new GitImportFetcher(git, access, commit) };
        var loaded = await new WorkflowLoader(options).LoadTextAsync(
            text,
            GitImportFetcher.UriOf(access.Name, path),
            $"{access.Name}@{commit[..12]}:{path}",
            ct
        );
        // Only a success is kept: a failure may have been an import that could not be read this time.
        if (!loaded.Succeeded)
            return loaded;
        if (_loaded.Count >= GitCache.MemoryEntries)
            _loaded.Clear();
        _loaded[key] = loaded;
        return loaded;
    }

    /// <summary>The run's variables (conditions and the steps' environment), empty when the event has none.</summary>
    public static Dictionary<string, string> Variables(TriggerEvent e, string commit, int? prNumber) =>
        new(StringComparer.Ordinal)
        {
            ["TRIGGER"] = e.Trigger,
            ["BRANCH"] = e.Branch ?? "",
            ["TAG"] = e.Tag ?? "",
            ["COMMIT_SHA"] = commit,
            ["PR_NUMBER"] = prNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
}
