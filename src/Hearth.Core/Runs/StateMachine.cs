namespace Hearth.Core.Runs;

/// <summary>
/// A table of allowed transitions. Every write of a state goes through <see cref="Check"/>,
/// so an illegal move is a bug caught where it happens, not a corrupt row found later.
/// </summary>
public sealed class StateMachine<TState>
    where TState : struct, Enum
{
    private readonly Dictionary<TState, HashSet<TState>> _allowed;
    private readonly HashSet<TState> _terminal;

    public StateMachine(IReadOnlyDictionary<TState, TState[]> allowed)
    {
        _allowed = allowed.ToDictionary(p => p.Key, p => p.Value.ToHashSet());
        _terminal = Enum.GetValues<TState>()
            .Where(s => !_allowed.TryGetValue(s, out var next) || next.Count == 0)
            .ToHashSet();
    }

    public bool IsTerminal(TState state) => _terminal.Contains(state);

    public bool CanMove(TState from, TState to) => _allowed.TryGetValue(from, out var next) && next.Contains(to);

    public IEnumerable<TState> TerminalStates => _terminal;

    public IEnumerable<TState> NonTerminalStates => Enum.GetValues<TState>().Where(s => !_terminal.Contains(s));

    public void Check(TState from, TState to)
    {
        if (!CanMove(from, to))
            throw new IllegalTransitionException(typeof(TState).Name, from.ToString(), to.ToString());
    }
}
