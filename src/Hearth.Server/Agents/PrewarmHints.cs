using Hearth.Core.Api;
using Hearth.Server.Background;

namespace Hearth.Server.Agents;

/// <summary>
/// Prewarm hints waiting for an agent (<see cref="PrewarmHint"/>): offered by what expects a task soon (the GitLab Job
/// Hook), handed to the first agent polling for work that has the hint's driver (<c>driver.NAME</c>), each to one agent
/// only, in its lease answer: the pull-based protocol stays the only way work reaches agents. An offer wakes the
/// waiting polls; a hint no agent took within <see cref="Lifetime"/> is dropped (its task has been placed by then), and
/// at most <see cref="MaxWaiting"/> wait (the oldest dropped first).
/// </summary>
public sealed class PrewarmHints(Signals signals, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    public const int MaxWaiting = 64;

    private readonly object _gate = new();
    private readonly LinkedList<(PrewarmHint Hint, DateTimeOffset Until)> _waiting = new();

    public void Offer(PrewarmHint hint)
    {
        lock (_gate)
        {
            _waiting.AddLast((hint, time.GetUtcNow() + Lifetime));
            while (_waiting.Count > MaxWaiting)
                _waiting.RemoveFirst();
        }
        // Hints live in this server: its own polls are woken.
        signals.PulseHere(SignalKeys.Work);
    }

    /// <summary>Whether a hint waits for an agent with <paramref name="labels"/>.</summary>
    public bool AnyFor(IReadOnlyDictionary<string, string> labels)
    {
        lock (_gate)
        {
            Expire();
            return _waiting.Any(w => Fits(w.Hint, labels));
        }
    }

    /// <summary>
    /// Takes the hints for an agent with <paramref name="labels"/> (nobody else gets them); empty when none wait.
    /// </summary>
    public IReadOnlyList<PrewarmHint> TakeFor(IReadOnlyDictionary<string, string> labels)
    {
        var taken = new List<PrewarmHint>();
        lock (_gate)
        {
            Expire();
            for (var node = _waiting.First; node is not null; )
            {
                var next = node.Next;
                if (Fits(node.Value.Hint, labels))
                {
                    taken.Add(node.Value.Hint);
                    _waiting.Remove(node);
                }
                node = next;
            }
        }
        return taken;
    }

    private static bool Fits(PrewarmHint hint, IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue($"driver.{hint.Driver}", out var value) && value == "true";

    private void Expire()
    {
        var now = time.GetUtcNow();
        while (_waiting.First is { } first && first.Value.Until <= now)
            _waiting.RemoveFirst();
    }
}
