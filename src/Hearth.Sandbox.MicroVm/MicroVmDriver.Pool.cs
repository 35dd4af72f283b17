using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The driver's warm pools (<see cref="WarmPool"/>), its metrics, and what it tells the agent about both.
/// </summary>
public sealed partial class MicroVmDriver : IWarmingDriver, IInstrumentedDriver
{
    private readonly WarmPool _pool;
    private readonly MicroVmMetrics _metrics;

    // Pool VMs from their id's making until they are destroyed: live for the orphan reaper (their task's lease names
    // another sandbox id, and the agent stores their handle only once the task runs).
    private readonly ConcurrentDictionary<string, byte> _kept = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<MicroVmSandbox, byte> _active = new();

    /// <summary>
    /// Boots one more VM of <paramref name="sizeClass"/> from <paramref name="image"/> into the warm pool (beside the
    /// configured ones, not replaced once a task takes it), so that the task expected next (a GitLab job announced by
    /// its Job Hook) starts warm. Completes when the VM waits for its task; throws <see cref="SandboxStartException"/>
    /// when it cannot boot, or <see cref="InvalidOperationException"/> without a pool scratch root.
    /// </summary>
    public Task PrewarmAsync(VmSizeClass sizeClass, string image, CancellationToken cancellationToken) =>
        PrewarmAsync(sizeClass, image, network: false, cancellationToken);

    /// <summary>
    /// As <see cref="PrewarmAsync(VmSizeClass, string, CancellationToken)"/>, for tasks with a network or without.
    /// </summary>
    public Task PrewarmAsync(VmSizeClass sizeClass, string image, bool network, CancellationToken cancellationToken)
    {
        if (_options.PoolScratchRoot is null)
            throw new InvalidOperationException(
                "the microvm driver has no warm pool: its options set no PoolScratchRoot"
            );
        if (sizeClass.MemoryBytes < _options.MinimumMemoryBytes)
            throw new ArgumentException(
                $"a VM needs at least {_options.MinimumMemoryBytes >> 20} MiB of memory, {sizeClass} asked"
            );
        return _pool.PrewarmAsync(new WarmPoolKey(sizeClass, image, network), cancellationToken);
    }

    /// <summary>
    /// A prewarm hint (<see cref="IWarmingDriver.TryPrewarm"/>): one VM more into the pool of that size, image and
    /// network, booted in the background, while the pools hold (idle or booting) fewer than the configured VMs plus
    /// <see cref="MicroVmDriverOptions.MaxPrewarmed"/>. A boot that fails is kept in <see cref="PoolError"/>.
    /// </summary>
    public string? TryPrewarm(string image, int cpus, long memoryBytes, bool network)
    {
        if (_backend is not null)
            return $"the {_backend.Name} backend has no warm pool";
        if (_options.PoolScratchRoot is null)
            return "this agent's microvm driver has no warm pool";
        var size = new VmSizeClass(cpus, memoryBytes);
        if (memoryBytes < _options.MinimumMemoryBytes)
            return $"{size} is below the {_options.MinimumMemoryBytes >> 20} MiB a VM needs";
        var limit = _options.WarmPools.Sum(p => p.Count) + _options.MaxPrewarmed;
        if (_pool.Held() >= limit)
            return $"the warm pools hold {limit} VMs already (configured pools + {_options.MaxPrewarmed} prewarmed)";
        try
        {
            _ = _pool
                .PrewarmAsync(new WarmPoolKey(size, image, network), CancellationToken.None)
                .ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (ObjectDisposedException)
        {
            return "the warm pools are stopping";
        }
        return null;
    }

    /// <summary>
    /// VMs waiting in the pool of <paramref name="sizeClass"/> and <paramref name="image"/> (with a network or not).
    /// </summary>
    public int PooledCount(VmSizeClass sizeClass, string image, bool network = false) =>
        _pool.Idle(new WarmPoolKey(sizeClass, image, network));

    /// <summary>Why the last pool boot failed, or null.</summary>
    public string? PoolError => _pool.LastError;

    public void StartWarming()
    {
        if (_options.PoolScratchRoot is not null)
            _pool.Start();
    }

    public Task StopWarmingAsync() => _pool.StopAsync();

    public IReadOnlyCollection<string> KeptSandboxIds() => [.. _kept.Keys];

    public void AddInstruments(Meter meter) => _metrics.AddTo(meter);

    private IReadOnlyDictionary<string, int> ActiveByBackend() =>
        new Dictionary<string, int> { [Backend] = _active.Count };

    /// <summary>
    /// A pooled VM for a task that fits one: same image reference and size, a network when it asks for one (the
    /// bridge's; never named networks), an image tag not to be resolved again, the pool's scratch root (the agent's),
    /// and a workspace that fits the pool VM's workspace disk.
    /// </summary>
    private PooledVm? TakePooled(SandboxSpec spec, VmSizeClass size)
    {
        if (_options.PoolScratchRoot is not { } root || spec.Networks.Count > 0 || spec.Pull == ImagePullPolicy.Always)
            return null;
        if (
            Hearth.Sandbox.Reaping.SandboxOwner.Normalize(spec.ScratchRoot)
            != Hearth.Sandbox.Reaping.SandboxOwner.Normalize(root)
        )
            return null;
        if (
            spec.WorkspaceDirectory is { } workspace
            && WorkspaceDisk.CapacityFor(workspace, _options.WorkspaceDiskBytes) > _options.WorkspaceDiskBytes
        )
            return null;
        return _pool.TryTake(new WarmPoolKey(size, spec.Image!, spec.Network));
    }

    /// <summary>Gives a pooled VM its task: the task's output sink, a fresh identity and the command.</summary>
    private async Task<ISandbox> StartPooledAsync(
        PooledVm pooled,
        SandboxSpec spec,
        ISandboxOutput output,
        CancellationToken cancellationToken
    )
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var plan = ImageProcessResolver.Resolve(pooled.Image, spec);
            if (spec.WorkspaceDirectory is { } workspace)
            {
                // Written in place into the disk the VM booted with; the guest drops its cached blocks before mounting
                // it.
                var disk = new VmLayout(pooled.Sandbox.State.Scratch).WorkspaceDisk;
                await WorkspaceDisk.FillAsync(_options.MkfsPath, workspace, disk, cancellationToken);
                ReadBackWorkspace(pooled.Sandbox, spec);
            }
            pooled.Output.Attach(output);
            await RunCommandAsync(pooled.Sandbox, plan, spec, cancellationToken);
        }
        catch
        {
            await pooled.Sandbox.AbortAsync();
            throw;
        }
        _metrics.Booted(Backend, clock.Elapsed, warm: true);
        return pooled.Sandbox;
    }

    /// <summary>Boots a VM for <paramref name="key"/>'s pool until its guest init waits for a task.</summary>
    private async Task<PooledVm> BootPooledAsync(WarmPoolKey key, CancellationToken cancellationToken)
    {
        var root = _options.PoolScratchRoot!;
        var id = NewPoolId();
        _kept[id] = 0;
        MicroVmSandbox? sandbox = null;
        try
        {
            var image = await GetImageAsync(key.Image, ImagePullPolicy.Missing, status: null, cancellationToken);
            var output = new LateOutput();
            var records = new VmLayout(Path.Combine(root, id)).PooledRecords;
            sandbox = await LaunchAsync(
                new VmLaunch(id, root, records, key.Size, key.Image, image, key.Network, _options.WorkspaceDiskBytes),
                output,
                cancellationToken
            );
            sandbox.Released += () => _kept.TryRemove(id, out _);
            using var boot = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            boot.CancelAfter(_options.BootTimeout);
            try
            {
                await WaitForAsync(sandbox, sandbox.WaitsForTask, "before it was ready", boot.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SandboxStartException(
                    $"the VM was not ready within {_options.BootTimeout} ({Backend}): {sandbox.FailureTail()}"
                );
            }
            return new PooledVm(sandbox, output, image, key);
        }
        catch
        {
            if (sandbox is not null)
                await sandbox.AbortAsync();
            _kept.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>
    /// A pool VM's id has a sandbox id's shape (<c>RUNID-vmpool-a0-e0</c>), so what it leaves behind is reaped.
    /// </summary>
    private static string NewPoolId() =>
        Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant() + "-vmpool-a0-e0";
}
