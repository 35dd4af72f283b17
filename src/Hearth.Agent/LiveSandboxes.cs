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

    /// <summary>The sandbox id of a lease's command; its checkout and workspace are named from it.</summary>
    public static string SandboxIdOf(LeaseView lease) => $"{lease.TaskId}-a{lease.Attempt}-e{lease.Epoch}";

    public IDisposable Hold(LeaseView lease)
    {
        var id = SandboxIdOf(lease);
        _ids[id] = 0;
        return new Release(() => _ids.TryRemove(id, out _));
    }

    public IReadOnlyCollection<string> Current() => _ids.Keys.ToList();

    private sealed class Release(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
