using Hearth.Workflows.Conditions;

namespace Hearth.Workflows.Model;

/// <summary>
/// Whether an event starts a workflow: its trigger is listed, and that trigger's filters pass. Pure. Paths: with
/// <c>paths</c> at least one changed path must match one; with <c>paths-ignore</c> at least one must match none; when
/// the changed paths are not known (the forge did not list them) path filters do not hold the workflow back.
/// </summary>
public static class TriggerMatcher
{
    /// <returns>null when the workflow starts; else why not, in words.</returns>
    public static string? Refusal(WorkflowDefinition workflow, TriggerEvent e)
    {
        if (!workflow.AcceptsTrigger(e.Trigger))
            return $"its triggers are {string.Join(", ", workflow.Triggers)}, not {e.Trigger}";
        if (!workflow.TriggerFilters.TryGetValue(e.Trigger, out var filter))
            return null;
        return e.Trigger switch
        {
            "push" => Branch(filter, e.Branch) ?? Paths(filter, e.ChangedPaths),
            "pull_request" => Types(filter, e.PullRequestAction)
                ?? Branch(filter, e.Branch)
                ?? Paths(filter, e.ChangedPaths),
            "tag" => Tag(filter, e.Tag),
            _ => null,
        };
    }

    private static bool Any(IReadOnlyList<string> patterns, string value) =>
        patterns.Any(p => GlobPattern.IsMatch(p, value));

    private static string? Branch(TriggerFilter filter, string? branch)
    {
        var value = branch ?? "";
        if (filter.Branches is { } branches && !Any(branches, value))
            return $"branch '{value}' matches none of branches {Quoted(branches)}";
        if (filter.BranchesIgnore is { } ignore && Any(ignore, value))
            return $"branch '{value}' matches branches-ignore {Quoted(ignore)}";
        return null;
    }

    private static string? Paths(TriggerFilter filter, IReadOnlyList<string>? changed)
    {
        if (changed is null)
            return null;
        if (filter.Paths is { } paths && !changed.Any(path => Any(paths, path)))
            return $"no changed path matches paths {Quoted(paths)}";
        if (filter.PathsIgnore is { } ignore && changed.Count > 0 && changed.All(path => Any(ignore, path)))
            return $"every changed path matches paths-ignore {Quoted(ignore)}";
        return null;
    }

    private static string? Types(TriggerFilter filter, string? action)
    {
        var types = filter.Types ?? PullRequestTypes.Default;
        return types.Contains(action ?? "", StringComparer.Ordinal)
            ? null
            : $"pull request action '{action}' is not one of types {Quoted(types)}";
    }

    private static string? Tag(TriggerFilter filter, string? tag)
    {
        var value = tag ?? "";
        if (filter.Patterns is { } patterns && !Any(patterns, value))
            return $"tag '{value}' matches none of patterns {Quoted(patterns)}";
        if (filter.Ignore is { } ignore && Any(ignore, value))
            return $"tag '{value}' matches ignore {Quoted(ignore)}";
        return null;
    }

    private static string Quoted(IEnumerable<string> values) => string.Join(" ", values.Select(v => $"\"{v}\""));
}
