namespace Hearth.Workflows.Conditions;

/// <summary>A side of a comparison: a <c>$VARIABLE</c> or a quoted literal.</summary>
public abstract record ConditionOperand
{
    public abstract string Resolve(IReadOnlyDictionary<string, string> variables);
}

public sealed record VariableOperand(string Name) : ConditionOperand
{
    public override string Resolve(IReadOnlyDictionary<string, string> variables) =>
        variables.TryGetValue(Name, out var value) ? value ?? string.Empty : string.Empty;

    public override string ToString() => "$" + Name;
}

public sealed record LiteralOperand(string Value) : ConditionOperand
{
    public override string Resolve(IReadOnlyDictionary<string, string> variables) => Value;

    public override string ToString() =>
        "'" + Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
}
