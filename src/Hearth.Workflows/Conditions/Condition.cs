namespace Hearth.Workflows.Conditions;

/// <summary>A parsed condition together with the text it was written as.</summary>
public sealed class Condition
{
    internal Condition(string text, ConditionExpression expression)
    {
        Text = text;
        Expression = expression;
    }

    /// <summary>The condition as written (for conditions combined from an import site, the combined form).</summary>
    public string Text { get; }

    public ConditionExpression Expression { get; }

    /// <summary>Parses <paramref name="text"/>; throws <see cref="ConditionSyntaxException"/> on error.</summary>
    public static Condition Parse(string text, IReadOnlySet<string>? extraVariables = null) =>
        new(text, new ConditionParser(text, extraVariables).Parse());

    /// <summary>
    /// Both conditions must hold; used when a <c>from</c> fragment's condition applies to imported steps.
    /// </summary>
    public static Condition And(Condition outer, Condition inner) =>
        new($"({outer.Text}) && ({inner.Text})", new AndExpression(outer.Expression, inner.Expression));

    /// <summary>Evaluates with the given variables; unset variables are empty strings.</summary>
    public bool Evaluate(IReadOnlyDictionary<string, string> variables) => Expression.Evaluate(variables);

    public override string ToString() => Text;
}
