namespace Hearth.Workflows.Conditions;

/// <summary>The variables a condition may read. Unset variables read as the empty string.</summary>
public static class ConditionVariables
{
    public const string Branch = "BRANCH";
    public const string Trigger = "TRIGGER";
    public const string CommitSha = "COMMIT_SHA";
    public const string PrNumber = "PR_NUMBER";
    public const string Tag = "TAG";

    public static IReadOnlySet<string> Known { get; } =
        new HashSet<string>(StringComparer.Ordinal) { Branch, Trigger, CommitSha, PrNumber, Tag };
}
