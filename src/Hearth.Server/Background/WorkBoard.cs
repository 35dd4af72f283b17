using Hearth.Core.Labels;

namespace Hearth.Server.Background;

/// <summary>
/// Idle long-polls waiting for work, in the order they started waiting. A new task wakes the first poll whose agent
/// can run it, not every poll: no herd of empty claims fighting for the store's write lock on each new run.
/// Broadcasts (<see cref="Signals.Pulse"/> of <see cref="SignalKeys.Work"/>) still wake everyone for rescues, drains
/// and workflow steps; other servers' new tasks are found by each poll's periodic re-check.
/// </summary>
public sealed class WorkBoard
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();

    public sealed class Waiter(IReadOnlyDictionary<string, string> labels)
    {
        internal IReadOnlyDictionary<string, string> Labels { get; } = labels;
        internal TaskCompletionSource Woken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal LinkedListNode<Waiter>? Node { get; set; }

        public Task Task => Woken.Task;
    }

    public Waiter Join(IReadOnlyDictionary<string, string> labels)
    {
        var waiter = new Waiter(labels);
        lock (_gate)
            waiter.Node = _waiters.AddLast(waiter);
        return waiter;
    }

    public void Leave(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node is { List: not null } node)
                _waiters.Remove(node);
            waiter.Node = null;
        }
    }

    /// <summary>
    /// Wakes the longest-waiting poll whose labels satisfy <paramref name="requirements"/>; false when none waits.
    /// </summary>
    public bool Offer(IReadOnlyDictionary<string, string> requirements)
    {
        lock (_gate)
        {
            for (var node = _waiters.First; node is not null; node = node.Next)
            {
                if (!LabelMatch.Satisfies(node.Value.Labels, requirements))
                    continue;
                _waiters.Remove(node);
                node.Value.Node = null;
                node.Value.Woken.TrySetResult();
                return true;
            }
        }
        return false;
    }
}
