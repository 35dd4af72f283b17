namespace Hearth.Core.Runs;

public sealed class IllegalTransitionException(string machine, string from, string to)
    : InvalidOperationException($"{machine}: {from} -> {to} is not an allowed transition")
{
    public string From { get; } = from;
    public string To { get; } = to;
}
