namespace Hearth.Workflows.Conditions;

/// <summary>
/// A condition that does not parse. <see cref="Position"/> is the 0-based index in the condition text.
/// </summary>
public sealed class ConditionSyntaxException : Exception
{
    public ConditionSyntaxException(int position, string reason)
        : base($"{reason} (at character {position + 1} of the condition)")
    {
        Position = position;
        Reason = reason;
    }

    public int Position { get; }

    public string Reason { get; }
}
