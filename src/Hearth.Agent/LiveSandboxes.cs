using System.Collections.Concurrent;
using Hearth.Core.Api;
using Hearth.Sandbox.Reaping;

namespace Hearth.Agent;

/// <summary>
/// The sandboxes of the leases this agent holds: one is added before its task's first sandbox is made and removed after
/// its last is destroyed, so the orphan reaper never takes what a running task owns.
/// </summary>
public sealed class LiveSandboxes : ILiveSandboxes
{
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);
    private readonly List<Func<IEnumerable<string>>> _more = [];

    /// <summary>The sandbox id of a lease's command; its checkout and workspace are named from it.</summary>
    public static string SandboxIdOf(Assignment lease) => $"{lease.TaskId}-a{lease.Attempt}-e{lease.Epoch}";

    public IDisposable Hold(Assignment lease)
    {
        var id = SandboxIdOf(lease);
        _ids[id] = 0;
        return new Release(() => _ids.TryRemove(id, out _));
    }

    /// <summary>
    /// Adds sandboxes the agent owns without a lease in hand: those it can recover from its persisted handles. Read at
    /// each <see cref="Current"/>, so the start-up reap must come after the handles are loaded.
    /// </summary>
    public void Include(Func<IEnumerable<string>> recoverable)
    {
        lock (_more)
            _more.Add(recoverable);
    }

    public IReadOnlyCollection<string> Current()
    {
        List<Func<IEnumerable<string>>> more;
        lock (_more)
            more = [.. _more];
        return _ids.Keys.Concat(more.SelectMany(m => m())).Distinct(StringComparer.Ordinal).ToList();
    }

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
