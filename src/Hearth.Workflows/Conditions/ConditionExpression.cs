namespace Hearth.Workflows.Conditions;

/// <summary>
/// A node of a parsed condition. <see cref="object.ToString"/> gives a canonical, fully parenthesised form.
/// </summary>
public abstract record ConditionExpression
{
    public abstract bool Evaluate(IReadOnlyDictionary<string, string> variables);
}

public sealed record AndExpression(ConditionExpression Left, ConditionExpression Right) : ConditionExpression
{
    public override bool Evaluate(IReadOnlyDictionary<string, string> variables) =>
        Left.Evaluate(variables) && Right.Evaluate(variables);

    public override string ToString() => $"({Left} && {Right})";
}

public sealed record OrExpression(ConditionExpression Left, ConditionExpression Right) : ConditionExpression
{
    public override bool Evaluate(IReadOnlyDictionary<string, string> variables) =>
        Left.Evaluate(variables) || Right.Evaluate(variables);

    public override string ToString() => $"({Left} || {Right})";
}

public sealed record NotExpression(ConditionExpression Operand) : ConditionExpression
{
    public override bool Evaluate(IReadOnlyDictionary<string, string> variables) => !Operand.Evaluate(variables);

    public override string ToString() => $"!{Operand}";
}

/// <summary>An operand on its own is true when its value is not empty (<c>$TAG</c> means "a tag is set").</summary>
public sealed record TruthExpression(ConditionOperand Operand) : ConditionExpression
{
    public override bool Evaluate(IReadOnlyDictionary<string, string> variables) =>
        Operand.Resolve(variables).Length > 0;

    public override string ToString() => Operand.ToString()!;
}

public sealed record ComparisonExpression(ConditionOperand Left, ComparisonOperator Operator, ConditionOperand Right)
    : ConditionExpression
{
    public override bool Evaluate(IReadOnlyDictionary<string, string> variables)
    {
        string left = Left.Resolve(variables);
        string right = Right.Resolve(variables);
        return Operator switch
        {
            ComparisonOperator.Equal => string.Equals(left, right, StringComparison.Ordinal),
            ComparisonOperator.NotEqual => !string.Equals(left, right, StringComparison.Ordinal),
            ComparisonOperator.Matches => GlobPattern.IsMatch(right, left),
            ComparisonOperator.NotMatches => !GlobPattern.IsMatch(right, left),
            _ => throw new InvalidOperationException($"unknown operator {Operator}"),
        };
    }

    public override string ToString() => $"{Left} {Operator.Symbol()} {Right}";
}
