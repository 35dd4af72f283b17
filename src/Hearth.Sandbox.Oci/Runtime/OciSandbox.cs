using System.Diagnostics;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// One container run by <c>runtime run</c> in the foreground: the runtime process is the monitor whose exit
/// status is the container's. Stop signals go through <c>runtime kill</c>; dispose deletes the container,
/// unmounts the rootfs, removes the scratch directory, tears down the network and releases the image lease.
/// </summary>
internal sealed class OciSandbox : ISandbox
{
    private readonly Process _process;
    private readonly RuntimeCommand _runtime;
    private readonly string _containerId;
    private readonly string _cgroupsPath;
    private readonly bool _keptAfterExit;
    private readonly CgroupSupport _cgroups;
    private readonly OomWatch? _oomWatch;
    private readonly RunRootfs _rootfs;
    private readonly ContainerNetwork? _network;
    private readonly string _scratchRoot;
    private readonly ImageLease _lease;
    private readonly TimeProvider _time;
    private readonly OutputPump _stdout;
    private readonly OutputPump _stderr;
    private readonly Lazy<Task<SandboxExit>> _exit;
    private int _disposed;

    public OciSandbox(
        Process process, RuntimeCommand runtime, string containerId, string cgroupsPath, bool keptAfterExit,
        CgroupSupport cgroups, OomWatch? oomWatch, RunRootfs rootfs, ContainerNetwork? network, string scratchRoot, ImageLease lease, TimeProvider time,
        OutputPump stdout, OutputPump stderr)
    {
        _process = process;
        _runtime = runtime;
        _containerId = containerId;
        _cgroupsPath = cgroupsPath;
        _keptAfterExit = keptAfterExit;
        _cgroups = cgroups;
        _oomWatch = oomWatch;
        _rootfs = rootfs;
        _network = network;
        _scratchRoot = scratchRoot;
        _lease = lease;
        _time = time;
        _stdout = stdout;
        _stderr = stderr;
        _exit = new Lazy<Task<SandboxExit>>(CompleteAsync);
    }

    public int Pid => _process.Id;

    public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) => _exit.Value.WaitAsync(cancellationToken);

    public async Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken)
    {
        var exit = _exit.Value;
        if (exit.IsCompleted) return;
        await SignalAsync(signal, cancellationToken);
        if (signal != StopSignal.Kill)
        {
            try
            {
                await exit.WaitAsync(grace, _time, cancellationToken);
                return;
            }
            catch (TimeoutException)
            {
                await SignalAsync(StopSignal.Kill, cancellationToken);
            }
        }
        await exit.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30), _time);
            try
            {
                await StopAsync(StopSignal.Kill, TimeSpan.Zero, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The monitor is stuck; kill it and remove what it leaves behind.
                _process.Kill(entireProcessTree: true);
                await _runtime.RunAsync(CancellationToken.None, "delete", "--force", _containerId);
            }
        }
        finally
        {
            _oomWatch?.Dispose();
            _rootfs.Release();
            _lease.Dispose();
            _process.Dispose();
            try
            {
                // After the container is gone, so nothing holds the namespace; failures here are reported.
                if (_network is not null) await _network.DisposeAsync();
            }
            finally
            {
                // Last: the scratch directory tells the orphan reaper whose the other resources are.
                try
                {
                    Directory.Delete(_scratchRoot, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                }
            }
        }
    }

    /// <summary>The runtime's stderr so far (for start failures).</summary>
    internal string ErrorTail => _stderr.Tail;

    private async Task SignalAsync(StopSignal signal, CancellationToken cancellationToken)
    {
        // Fails harmlessly when the container has just exited.
        await _runtime.RunAsync(cancellationToken, "kill", _containerId, ((int)signal).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<SandboxExit> CompleteAsync()
    {
        await _process.WaitForExitAsync(CancellationToken.None);
        await Task.WhenAll(_stdout.Completion, _stderr.Completion);
        var code = _process.ExitCode;
        // A kept container (and its cgroup) stays until deleted, so the OOM counter can still be read;
        // otherwise `run` has already removed it.
        var oomKills = _keptAfterExit ? _cgroups.ReadOomKills(_cgroupsPath) : 0;
        if (_keptAfterExit) await _runtime.RunAsync(CancellationToken.None, "delete", "--force", _containerId);
        var oomKilled = oomKills > 0 || _oomWatch?.Fired() == true;
        int? signal = code is > 128 and <= 128 + 64 ? code - 128 : null;
        return new SandboxExit(code, signal, oomKilled);
    }
}
