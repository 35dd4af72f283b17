namespace Hearth.Workflows.Conditions;

public enum ComparisonOperator
{
    /// <summary><c>==</c>: exact, case-sensitive equality.</summary>
    Equal,

    /// <summary><c>!=</c></summary>
    NotEqual,

    /// <summary><c>=~</c>: the left side matches the glob pattern on the right.</summary>
    Matches,

    /// <summary><c>!~</c></summary>
    NotMatches,
}

public static class ComparisonOperatorExtensions
{
    public static string Symbol(this ComparisonOperator op) =>
        op switch
        {
            ComparisonOperator.Equal => "==",
            ComparisonOperator.NotEqual => "!=",
            ComparisonOperator.Matches => "=~",
            ComparisonOperator.NotMatches => "!~",
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
}
