namespace Hearth.Workflows.Model;

/// <summary>
/// The filters of one trigger in a <c>triggers { }</c> block (every list null when not written). Globs as in
/// conditions: <c>*</c> within a path segment, <c>**</c> across segments. A pull request's <see cref="Branches"/>
/// filter its base (target) branch.
/// </summary>
public sealed record TriggerFilter(string Trigger)
{
    public IReadOnlyList<string>? Branches { get; init; }

    public IReadOnlyList<string>? BranchesIgnore { get; init; }

    public IReadOnlyList<string>? Paths { get; init; }

    public IReadOnlyList<string>? PathsIgnore { get; init; }

    /// <summary>Tag patterns (<c>tag { patterns "v*" }</c>).</summary>
    public IReadOnlyList<string>? Patterns { get; init; }

    /// <summary>Tag patterns that never start the workflow (<c>tag { ignore "v*-rc*" }</c>).</summary>
    public IReadOnlyList<string>? Ignore { get; init; }

    /// <summary>Pull request actions; null means <see cref="PullRequestTypes.Default"/>.</summary>
    public IReadOnlyList<string>? Types { get; init; }
}

/// <summary>The pull request actions a workflow can name in <c>types</c>.</summary>
public static class PullRequestTypes
{
    public static IReadOnlyList<string> All { get; } = ["opened", "synchronize", "reopened", "closed", "merged"];

    /// <summary>
    /// Without <c>types</c>, as GitHub Actions: a pull request opened, updated with commits or reopened.
    /// </summary>
    public static IReadOnlyList<string> Default { get; } = ["opened", "synchronize", "reopened"];
}
