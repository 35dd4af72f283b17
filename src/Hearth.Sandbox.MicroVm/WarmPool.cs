using Hearth.Sandbox.Oci.Images;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// Which pooled VMs a task can take: same image reference, same size, a network (on the bridge) or none.
/// </summary>
internal sealed record WarmPoolKey(VmSizeClass Size, string Image, bool Network = false);

/// <summary>
/// A VM booted to the point of waiting for its task, with its image (for the task's process plan) and output sink.
/// </summary>
internal sealed record PooledVm(MicroVmSandbox Sandbox, LateOutput Output, StoredImage Image, WarmPoolKey Key);

/// <summary>
/// Warm pools: per size class and image, VMs booted ahead of their tasks (fireactions' warm replicas; no snapshot is
/// restored). A task that fits takes one and the pool boots a replacement in the background; a taken VM serves that one
/// task and is destroyed after it, like any other. <see cref="PrewarmAsync"/> boots one more on demand (not replaced
/// once taken). A boot that fails is not retried until the next take of its pool.
/// </summary>
internal sealed class WarmPool(
    IReadOnlyList<WarmPoolEntry> entries,
    Func<WarmPoolKey, CancellationToken, Task<PooledVm>> boot
)
{
    private readonly object _gate = new();
    private readonly Dictionary<WarmPoolKey, int> _targets = entries
        .GroupBy(e => new WarmPoolKey(e.Size, e.Image))
        .ToDictionary(g => g.Key, g => g.Sum(e => e.Count));
    private readonly Dictionary<WarmPoolKey, Queue<PooledVm>> _idle = [];
    private readonly Dictionary<WarmPoolKey, int> _booting = [];
    private readonly HashSet<Task> _boots = [];
    private readonly CancellationTokenSource _stop = new();
    private bool _stopped;

    /// <summary>Why the last boot for a pool failed (null when none has).</summary>
    public string? LastError { get; private set; }

    public void Start()
    {
        foreach (var key in _targets.Keys)
            Refill(key);
    }

    /// <summary>A booted VM of <paramref name="key"/>, or null when none waits; a replacement starts booting.</summary>
    public PooledVm? TryTake(WarmPoolKey key)
    {
        PooledVm? taken = null;
        var dead = new List<PooledVm>();
        lock (_gate)
        {
            if (_idle.TryGetValue(key, out var queue))
            {
                while (queue.TryDequeue(out var vm))
                {
                    if (vm.Sandbox.MonitorExited)
                        dead.Add(vm);
                    else
                    {
                        taken = vm;
                        break;
                    }
                }
            }
        }
        foreach (var vm in dead)
            _ = vm.Sandbox.AbortAsync().AsTask().ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        Refill(key);
        return taken;
    }

    /// <summary>
    /// Boots one more VM of <paramref name="key"/> into the pool; completes when it waits for a task.
    /// </summary>
    public Task PrewarmAsync(WarmPoolKey key, CancellationToken cancellationToken) => Launch(key, cancellationToken);

    /// <summary>VMs waiting, by size class.</summary>
    public IReadOnlyDictionary<string, int> IdleBySize()
    {
        lock (_gate)
        {
            return _idle
                .GroupBy(p => p.Key.Size.ToString())
                .ToDictionary(g => g.Key, g => g.Sum(p => p.Value.Count), StringComparer.Ordinal);
        }
    }

    /// <summary>VMs held in all pools: waiting, or booting.</summary>
    public int Held()
    {
        lock (_gate)
            return _idle.Values.Sum(q => q.Count) + _booting.Values.Sum();
    }

    public int Idle(WarmPoolKey key)
    {
        lock (_gate)
            return _idle.TryGetValue(key, out var queue) ? queue.Count : 0;
    }

    private void Refill(WarmPoolKey key)
    {
        int missing;
        lock (_gate)
        {
            if (_stopped || !_targets.TryGetValue(key, out var target))
                return;
            missing = target - Idle(key) - _booting.GetValueOrDefault(key);
        }
        for (var i = 0; i < missing; i++)
        {
            // A refill's failure is kept in LastError; nobody waits for it.
            _ = Launch(key, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private Task Launch(WarmPoolKey key, CancellationToken cancellationToken)
    {
        Task task;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            _booting[key] = _booting.GetValueOrDefault(key) + 1;
            task = BootAsync(key, cancellationToken);
            _boots.Add(task);
        }
        _ = task.ContinueWith(
            t =>
            {
                lock (_gate)
                    _boots.Remove(t);
            },
            TaskScheduler.Default
        );
        return task;
    }

    private async Task BootAsync(WarmPoolKey key, CancellationToken cancellationToken)
    {
        await Task.Yield();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        PooledVm vm;
        try
        {
            vm = await boot(key, linked.Token);
        }
        catch (Exception e)
        {
            lock (_gate)
                _booting[key]--;
            LastError = e.Message;
            throw;
        }
        bool kept;
        lock (_gate)
        {
            _booting[key]--;
            kept = !_stopped;
            if (kept)
            {
                if (!_idle.TryGetValue(key, out var queue))
                    _idle[key] = queue = new Queue<PooledVm>();
                queue.Enqueue(vm);
            }
        }
        if (!kept)
            await vm.Sandbox.AbortAsync();
    }

    /// <summary>Stops refilling, cancels boots under way and destroys every VM waiting.</summary>
    public async Task StopAsync()
    {
        List<PooledVm> idle;
        Task[] boots;
        lock (_gate)
        {
            _stopped = true;
            idle = _idle.Values.SelectMany(q => q).ToList();
            _idle.Clear();
            boots = [.. _boots];
        }
        await _stop.CancelAsync();
        await Task.WhenAll(boots).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        foreach (var vm in idle)
            await vm.Sandbox.AbortAsync();
    }
}
