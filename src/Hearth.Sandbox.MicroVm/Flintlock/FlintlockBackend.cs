using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Hearth.Sandbox.MicroVm.Vsock;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Running;
using FlintlockTypes = global::Flintlock.Types;

namespace Hearth.Sandbox.MicroVm.Flintlock;

/// <summary>
/// The microvm driver's Flintlock backend (FireRunner's choice): per task, <c>CreateMicroVM</c> on flintlockd with a
/// spec built from the task (<see cref="FlintlockSpec"/>), <c>GetMicroVM</c> until flintlockd has made it (CREATED) or
/// given up (FAILED), then the guest protocol over the VM's guest-agent vsock socket, which flintlockd reports in the
/// VM's status and which must be on this host (the agent runs beside flintlockd). <c>DeleteMicroVM</c> when the task
/// is destroyed. Untested against a real flintlockd: its tests use a server implementing the proto's service.
/// </summary>
internal sealed class FlintlockBackend : IMicroVmBackend, IDisposable
{
    public const string BackendName = "flintlock";
    private const string UidKey = "flintlock_uid";

    private readonly MicroVmDriverOptions _options;
    private readonly FlintlockOptions _flintlock;
    private readonly TimeProvider _time;
    private readonly TaskImages _images;
    private readonly LauncherOptions _launcher = new();
    private readonly Lazy<FlintlockClient> _client;

    private readonly MicroVmMetrics _metrics;

    public FlintlockBackend(
        MicroVmDriverOptions options,
        FlintlockOptions flintlock,
        ImageStore images,
        TimeProvider time,
        MicroVmMetrics metrics
    )
    {
        _metrics = metrics;
        _options = options;
        _flintlock = flintlock;
        _time = time;
        _images = new TaskImages(images, new RootDisks(options), options.PullMissingImages);
        _client = new Lazy<FlintlockClient>(() =>
            new FlintlockClient(
                flintlock.Endpoint
                    ?? throw new SandboxStartException(
                        "the microvm driver's flintlock backend has no flintlockd endpoint configured"
                    ),
                flintlock.CallTimeout
            )
        );
    }

    public string Name => BackendName;

    public DriverCapabilities Capabilities => VsockBackend.Capabilities;

    /// <summary>Healthy when flintlockd answers <c>ListMicroVMs</c> for Hearth's namespace.</summary>
    public DriverFingerprint Fingerprint()
    {
        if (_flintlock.Endpoint is null)
            return DriverFingerprint.Unhealthy("the flintlock backend has no flintlockd endpoint configured");
        if (_flintlock.KernelImage is null)
            return DriverFingerprint.Unhealthy("the flintlock backend has no kernel image configured");
        try
        {
            var vms = _client.Value.ListAsync(_flintlock.Namespace, CancellationToken.None).GetAwaiter().GetResult();
            return VsockBackend.Healthy(BackendName, "driver.microvm.flintlock.endpoint", _flintlock.Endpoint);
        }
        catch (RpcException e)
        {
            return DriverFingerprint.Unhealthy(_client.Value.Describe("ListMicroVMs", e));
        }
    }

    public async Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        var (cpus, memory) = VmSize.Of(spec, _options);
        var vmSpec = FlintlockSpec.Build(spec, _flintlock, cpus, memory);
        var client = ClientOrRefuse();
        // Only the image's config is needed here (argv, environment, user): flintlockd pulls the image for the root
        // volume.
        var plan = TaskImages.Plan(await _images.GetAsync(spec, cancellationToken), spec);

        var (scratch, files) = VsockBackend.CreateDirectories(spec);
        string? uid = null;
        VsockVmSandbox? sandbox = null;
        try
        {
            var startedAt = _time.GetUtcNow();
            var clock = Stopwatch.StartNew();
            var created = await CallAsync(client, "CreateMicroVM", () => client.CreateAsync(vmSpec, cancellationToken));
            uid =
                created.Spec?.HasUid == true
                    ? created.Spec.Uid
                    : throw new SandboxStartException(
                        $"flintlockd at {client.Endpoint}: CreateMicroVM gave no uid for VM {spec.SandboxId}"
                    );
            var vm = await WaitCreatedAsync(client, uid, cancellationToken);
            var vsock = vm.Status.VsockPath;
            if (string.IsNullOrEmpty(vsock))
                throw new SandboxStartException(
                    $"flintlockd made VM {uid} without a guest-agent vsock device: Hearth's guest channel needs it"
                );
            if (!File.Exists(vsock))
                throw new SandboxStartException(
                    $"VM {uid}'s vsock socket {vsock} is not on this host: the flintlock backend needs the agent on flintlockd's host"
                );
            if (Encoding.UTF8.GetByteCount(VsockPorts.HostListener(vsock, VsockPorts.Status)) > VmLayout.MaxSocketPath)
                throw new SandboxStartException(
                    $"VM {uid}'s vsock socket path {vsock} is too long for the guest's streams"
                );
            var state = new VsockVmHandle(
                spec.SandboxId,
                BackendName,
                startedAt,
                files.Directory,
                scratch.Root,
                vsock,
                new Dictionary<string, string> { [UidKey] = uid }
            );
            sandbox = VsockVmSandbox.Attach(
                state,
                new FlintlockVm(client, uid, _flintlock.PollInterval),
                files,
                output,
                OutputCursor.Start,
                _launcher,
                _time
            );
            await sandbox.SendTaskAsync(MicroVmDriver.TaskFrames(plan, spec), _options.BootTimeout, cancellationToken);
            _metrics.Booted(BackendName, clock.Elapsed, warm: false);
            return sandbox;
        }
        catch
        {
            if (sandbox is not null)
            {
                await sandbox.AbortAsync();
            }
            else
            {
                if (uid is not null)
                    await DeleteQuietlyAsync(client, uid);
                scratch.Delete();
                files.Delete();
            }
            throw;
        }
    }

    /// <summary>
    /// Polls <c>GetMicroVM</c> until flintlockd has made the VM; FAILED, its disappearance or the boot timeout fail the
    /// start.
    /// </summary>
    private async Task<FlintlockTypes.MicroVM> WaitCreatedAsync(
        FlintlockClient client,
        string uid,
        CancellationToken cancellationToken
    )
    {
        var deadline = _time.GetUtcNow() + _options.BootTimeout;
        while (true)
        {
            var vm = await CallAsync(client, "GetMicroVM", () => client.GetAsync(uid, cancellationToken))
                ?? throw new SandboxStartException($"flintlockd at {client.Endpoint}: lost VM {uid} while making it");
            switch (vm.Status?.State)
            {
                case FlintlockTypes.MicroVMStatus.Types.MicroVMState.Created:
                    return vm;
                case FlintlockTypes.MicroVMStatus.Types.MicroVMState.Failed:
                    throw new SandboxStartException(
                        $"flintlockd at {client.Endpoint}: failed to make VM {uid} (after {vm.Status.Retry} retries)"
                    );
                case FlintlockTypes.MicroVMStatus.Types.MicroVMState.Deleting:
                    throw new SandboxStartException(
                        $"flintlockd at {client.Endpoint}: VM {uid} is being deleted before it ran"
                    );
            }
            if (_time.GetUtcNow() > deadline)
                throw new SandboxStartException(
                    $"flintlockd at {client.Endpoint}: VM {uid} was not made within {_options.BootTimeout} (still {vm.Status?.State})"
                );
            await Task.Delay(_flintlock.PollInterval, _time, cancellationToken);
        }
    }

    private static async Task<T> CallAsync<T>(FlintlockClient client, string call, Func<Task<T>> rpc)
    {
        try
        {
            return await rpc();
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            throw new SandboxStartException(client.Describe(call, e), e);
        }
    }

    private static async Task DeleteQuietlyAsync(FlintlockClient client, string uid)
    {
        try
        {
            await client.DeleteAsync(uid, CancellationToken.None);
        }
        catch (RpcException)
        {
            // The start's own error is the one to report; the VM carries Hearth's label for an operator to find.
        }
    }

    public async Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    )
    {
        var state = VsockVmHandle.From(handle, BackendName, UidKey);
        var client = ClientOrRecoveryError();
        var files = SandboxFiles.OpenOrMissing(state.StateDirectory);
        FlintlockTypes.MicroVM? vm;
        try
        {
            vm = await client.GetAsync(state.Extra[UidKey], cancellationToken);
        }
        catch (RpcException e)
        {
            throw new SandboxRecoveryException(client.Describe($"GetMicroVM {state.Extra[UidKey]}", e));
        }
        if (vm is null && files.RecordedExitCode() is null)
            throw new SandboxRecoveryException(
                $"VM {state.SandboxId} ({state.Extra[UidKey]}) is gone from flintlockd and recorded no exit code"
            );
        return Adopt(state, client, files, output, from);
    }

    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = VsockVmHandle.From(handle, BackendName, UidKey);
        var files = SandboxFiles.OpenOrMissing(state.StateDirectory);
        await using var sandbox = Adopt(
            state,
            ClientOrRecoveryError(),
            files,
            NoOutput.Instance,
            files.End,
            listen: false
        );
    }

    private VsockVmSandbox Adopt(
        VsockVmHandle state,
        FlintlockClient client,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        bool listen = true
    ) =>
        VsockVmSandbox.Attach(
            state,
            new FlintlockVm(client, state.Extra[UidKey], _flintlock.PollInterval),
            files,
            output,
            from,
            _launcher,
            _time,
            listen
        );

    private FlintlockClient ClientOrRefuse() => _client.Value;

    private FlintlockClient ClientOrRecoveryError()
    {
        try
        {
            return _client.Value;
        }
        catch (SandboxStartException e)
        {
            throw new SandboxRecoveryException(e.Message, e);
        }
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
            _client.Value.Dispose();
    }
}
