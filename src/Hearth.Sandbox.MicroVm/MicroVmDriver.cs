using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hearth.Sandbox.Cgroups;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The <c>microvm</c> sandbox driver: a fresh QEMU <c>microvm</c> per task, booted from a guest kernel and a root disk
/// made from an image in the <see cref="ImageStore"/>, with KVM where it works and software emulation (TCG) elsewhere.
/// </summary>
public sealed partial class MicroVmDriver : ISandboxDriver
{
    private readonly MicroVmDriverOptions _options;
    private readonly ImageStore _images;
    private readonly TimeProvider _time;
    private readonly SandboxLauncher _launcher = new(new LauncherOptions());
    private readonly RootDisks _disks;
    private readonly BridgeNetwork _network;
    private readonly Lazy<Hearth.Sandbox.Cgroups.CgroupSupport> _cgroups;
    private readonly Lazy<string> _accelerator;
    private readonly IMicroVmBackend? _backend;

    public MicroVmDriver(MicroVmDriverOptions options, ImageStore images, TimeProvider time)
    {
        _options = options;
        _images = images;
        _time = time;
        _disks = new RootDisks(options);
        _network = new BridgeNetwork(options.Network, time);
        _cgroups = new Lazy<Hearth.Sandbox.Cgroups.CgroupSupport>(() => CgroupDetector.Detect(options.Cgroups, time));
        _accelerator = new Lazy<string>(() => Accelerator.Resolve(options.Accelerator));
        _pool = new WarmPool(options.WarmPools, BootPooledAsync);
        _metrics = new MicroVmMetrics(ActiveByBackend, _pool.IdleBySize);
        _backend = MicroVmBackends.Create(options, images, time, _metrics);
    }

    public string Name => "microvm";

    /// <summary>"qemu-kvm" or "qemu-tcg" (software emulation: functional, far slower than KVM).</summary>
    public string Backend => _backend?.Name ?? "qemu-" + _accelerator.Value;

    public DriverCapabilities Capabilities => _backend?.Capabilities ?? QemuCapabilities;

    private static readonly DriverCapabilities QemuCapabilities = new(
        FilesystemIsolation.Vm,
        NetworkModes: ["none", "bridge"],
        Ports: false,
        Signals: true,
        Exec: true,
        Recover: true,
        Limits: ["cpu", "memory"]
    );

    public DriverFingerprint Fingerprint()
    {
        if (_backend is not null)
            return _backend.Fingerprint();
        GuestKernel kernel;
        string accelerator;
        try
        {
            kernel = GuestKernel.Find(_options.KernelPath, _options.ModulesRoot);
            kernel.ModuleFiles();
            accelerator = _accelerator.Value;
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException)
        {
            return DriverFingerprint.Unhealthy(e.Message);
        }
        if (!File.Exists(_options.BusyboxPath))
            return DriverFingerprint.Unhealthy($"no static busybox at {_options.BusyboxPath} (install busybox-static)");
        string qemuVersion;
        try
        {
            var (code, output) = Tool.RunAsync(_options.QemuPath, ["--version"], CancellationToken.None)
                .GetAwaiter()
                .GetResult();
            if (code != 0)
                return DriverFingerprint.Unhealthy($"{_options.QemuPath} --version failed: {output}");
            qemuVersion = QemuVersionPattern().Match(output) is { Success: true } m ? m.Groups[1].Value : "unknown";
            foreach (var tool in new[] { _options.QemuImgPath, _options.MkfsPath })
            {
                if (Tool.RunAsync(tool, ["-V"], CancellationToken.None).GetAwaiter().GetResult().Code is not (0 or 1))
                    return DriverFingerprint.Unhealthy($"{tool} does not run");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return DriverFingerprint.Unhealthy(
                $"a tool of the microvm driver is missing (qemu-system-x86, qemu-utils, e2fsprogs): {e.Message}"
            );
        }
        return new DriverFingerprint(
            true,
            null,
            new Dictionary<string, string>
            {
                ["driver.microvm"] = "1",
                ["driver.microvm.backend"] = "qemu-" + accelerator,
                ["driver.microvm.qemu.version"] = qemuVersion,
                ["driver.microvm.kernel"] = kernel.Version,
                ["driver.microvm.network"] = BridgeNetwork.ToolsAvailable() ? "bridge" : "none",
                ["driver.microvm.cgroup"] = _cgroups.Value.Version,
            }
        );
    }

    public Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    )
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (MicroVmBackends.For(handle, _backend) is { } backend)
            return backend.RecoverAsync(handle, output, from, cancellationToken);
        var state = MicroVmHandle.From(handle);
        var files = SandboxFiles.Open(state.StateDirectory);
        if (!state.Monitor.IsAlive() && files.RecordedExitCode() is null)
            throw new SandboxRecoveryException($"VM {state.SandboxId} is gone and its monitor recorded no exit code");
        return Task.FromResult<ISandbox>(Adopt(state, files, output, from));
    }

    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (MicroVmBackends.For(handle, _backend) is { } backend)
        {
            await backend.DestroyAsync(handle, cancellationToken);
            return;
        }
        var state = MicroVmHandle.From(handle);
        var files = SandboxFiles.OpenOrMissing(state.StateDirectory);
        await using var sandbox = Adopt(state, files, NoOutput.Instance, files.End);
    }

    private MicroVmSandbox Adopt(MicroVmHandle state, SandboxFiles files, ISandboxOutput output, OutputCursor from) =>
        Track(
            new(
                new AdoptedProcess(state.Monitor, () => files.RecordedExitCode() ?? 137, _time),
                state,
                new GuestChannel(state.ControlSocket),
                files,
                output,
                from,
                _launcher.Options,
                _time
            )
        );

    public async Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        if (_backend is not null)
            return await _backend.StartAsync(spec, output, cancellationToken);
        if (!SandboxIdPattern().IsMatch(spec.SandboxId))
            throw new SandboxStartException($"sandbox id '{spec.SandboxId}' is not a valid VM name");
        if (string.IsNullOrEmpty(spec.Image))
            throw new SandboxStartException("the microvm driver needs an image");
        if (spec.Ports.Count > 0)
            throw new SandboxStartException(
                "the microvm driver publishes no ports: a VM with a network reaches out, nobody in"
            );
        var size = VmSizeClass.Of(spec.Limits, _options.DefaultMemoryBytes);
        if (size.MemoryBytes < _options.MinimumMemoryBytes)
            throw new SandboxStartException(
                $"a VM needs at least {_options.MinimumMemoryBytes >> 20} MiB of memory, {size.MemoryBytes >> 20} MiB asked"
            );
        if (TakePooled(spec, size) is { } pooled)
            return await StartPooledAsync(pooled, spec, output, cancellationToken);

        var image = await GetImageAsync(spec.Image, spec.Pull, spec.Status, cancellationToken);
        var plan = ImageProcessResolver.Resolve(image, spec);
        var clock = Stopwatch.StartNew();
        var workspaceBytes = spec.WorkspaceDirectory is { } workspace
            ? WorkspaceDisk.CapacityFor(workspace, _options.WorkspaceDiskBytes)
            : (long?)null;
        var sandbox = await LaunchAsync(
            new VmLaunch(
                spec.SandboxId,
                spec.ScratchRoot,
                spec.StateDirectoryOrDefault,
                size,
                spec.Image,
                image,
                spec.Network,
                workspaceBytes,
                spec.WorkspaceDirectory
            ),
            output,
            cancellationToken
        );
        try
        {
            ReadBackWorkspace(sandbox, spec);
            await RunCommandAsync(sandbox, plan, spec, cancellationToken);
        }
        catch
        {
            await sandbox.AbortAsync();
            throw;
        }
        _metrics.Booted(Backend, clock.Elapsed, warm: false);
        return sandbox;
    }

    /// <summary>
    /// What one VM boots: its id (a task's sandbox id, or a warm pool's), where its files go, its size and image,
    /// whether it has a network, the capacity of its workspace disk (null: none) and the directory written into it at
    /// boot (null: an empty slot, filled when a task takes the VM).
    /// </summary>
    private sealed record VmLaunch(
        string Id,
        string ScratchRoot,
        string StateDirectory,
        VmSizeClass Size,
        string ImageReference,
        StoredImage Image,
        bool Network = false,
        long? WorkspaceBytes = null,
        string? Workspace = null
    );

    /// <summary>After a task with a workspace, its VM's workspace disk is read back into the host directory.</summary>
    private void ReadBackWorkspace(MicroVmSandbox sandbox, SandboxSpec spec)
    {
        if (spec.WorkspaceDirectory is not { } directory)
            return;
        var disk = new VmLayout(sandbox.State.Scratch).WorkspaceDisk;
        sandbox.AfterExit = () =>
            WorkspaceDisk.CopyBackAsync(_options.DebugfsPath, disk, directory, CancellationToken.None);
    }

    /// <summary>
    /// Boots a VM up to its guest init: the kernel and initramfs, the image's base disk, a fresh overlay, QEMU under
    /// its monitor, the control port connected and QEMU's pid recorded. Undone entirely when it fails.
    /// </summary>
    private async Task<MicroVmSandbox> LaunchAsync(
        VmLaunch launch,
        ISandboxOutput output,
        CancellationToken cancellationToken
    )
    {
        GuestKernel kernel;
        string initramfs;
        try
        {
            kernel = GuestKernel.Find(_options.KernelPath, _options.ModulesRoot);
            initramfs = BootImage.Ensure(Path.Combine(_options.CacheDirectory, "boot"), kernel, _options.BusyboxPath);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot prepare the guest kernel: {e.Message}", e);
        }
        var baseDisk = await BaseDiskAsync(launch.ImageReference, launch.Image, launch.Id, cancellationToken);

        var scratch = ScratchDirectory.Create(launch.ScratchRoot, launch.Id);
        var layout = new VmLayout(scratch.Root);
        if (Encoding.UTF8.GetByteCount(layout.ControlSocket) > VmLayout.MaxSocketPath)
        {
            scratch.Delete();
            throw new SandboxStartException(
                $"the scratch root {launch.ScratchRoot} is too long for the VM's control socket ({layout.ControlSocket})"
            );
        }
        SandboxFiles files;
        try
        {
            files = SandboxFiles.Create(launch.StateDirectory);
        }
        catch
        {
            scratch.Delete();
            throw;
        }
        MicroVmSandbox? sandbox = null;
        ContainerNetwork? network = null;
        ICgroup? cgroup = null;
        try
        {
            await _disks.CreateOverlayAsync(baseDisk, layout.Overlay, cancellationToken);
            if (launch.WorkspaceBytes is { } workspaceBytes)
            {
                WorkspaceDisk.CreateSlot(layout.WorkspaceDisk, workspaceBytes);
                if (launch.Workspace is { } workspace)
                    await WorkspaceDisk.FillAsync(
                        _options.MkfsPath,
                        workspace,
                        layout.WorkspaceDisk,
                        cancellationToken
                    );
            }
            cgroup = CreateCgroup(launch);
            if (launch.Network)
                network = await AttachNetworkAsync(launch.Id, cancellationToken);
            var qemu = QemuArguments.Build(
                _options.QemuPath,
                _accelerator.Value,
                kernel,
                initramfs,
                layout,
                files.PathOf(OutputStream.Stdout),
                files.PathOf(OutputStream.Stderr),
                files.StatusPath,
                launch.Size.Cpus,
                launch.Size.MemoryBytes,
                network?.HostVeth,
                network is null ? null : MacOf(network.Address),
                launch.WorkspaceBytes is null ? null : layout.WorkspaceDisk
            );
            var spawn = new SandboxLaunch(
                VmMonitor.Argv(_launcher.Options.ShellPath, files.StatusPath, layout.QemuLog, qemu),
                VmMonitor.Environment(launch.Id, launch.ScratchRoot),
                scratch.Root,
                RootIsMonitor: true,
                scratch,
                cgroup
            )
            {
                Files = files,
            };
            var startedAt = _time.GetUtcNow();
            var channel = new GuestChannel(layout.ControlSocket);
            await _launcher.StartAsync(
                spawn,
                monitor =>
                {
                    var identity = ProcessIdentity.Of(monitor.Pid) ?? new ProcessIdentity(monitor.Pid, -1);
                    var state = new MicroVmHandle(
                        launch.Id,
                        identity,
                        null,
                        layout.ControlSocket,
                        startedAt,
                        files.Directory,
                        scratch.Root,
                        Hearth.Sandbox.Reaping.SandboxOwner.Normalize(launch.ScratchRoot),
                        Backend,
                        network?.Address.ToString(),
                        cgroup?.ByController
                    );
                    return sandbox = Track(
                        new MicroVmSandbox(
                            monitor,
                            state,
                            channel,
                            files,
                            output,
                            OutputCursor.Start,
                            _launcher.Options,
                            _time
                        )
                    );
                },
                cancellationToken
            );
            await ConnectAsync(sandbox!, channel, layout, cancellationToken);
            return sandbox!;
        }
        catch
        {
            if (sandbox is not null)
            {
                await sandbox.AbortAsync();
            }
            else
            {
                if (network is not null)
                    await network.DisposeAsync();
                if (cgroup is not null)
                    await cgroup.DisposeAsync();
                scratch.Delete();
                files.Delete();
            }
            throw;
        }
    }

    private async Task<ContainerNetwork> AttachNetworkAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return await _network.AttachTapAsync(id, cancellationToken);
        }
        catch (Exception e) when (e is NetworkSetupException or IOException or System.ComponentModel.Win32Exception)
        {
            throw new SandboxStartException(
                $"cannot put the VM on bridge {_options.Network.BridgeName}: {e.Message}",
                e
            );
        }
    }

    /// <summary>A locally administered MAC from the address (unique on the bridge while the address is held).</summary>
    private static string MacOf(System.Net.IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return $"52:54:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}:{bytes[3]:x2}";
    }

    /// <summary>
    /// QEMU's cgroup: the guest's memory and vCPUs plus QEMU's overhead. None where the host has no usable cgroups (the
    /// guest is still bounded by <c>-m</c> and <c>-smp</c>).
    /// </summary>
    private ICgroup? CreateCgroup(VmLaunch launch)
    {
        var support = _cgroups.Value;
        if (support.Limiter is null)
            return null;
        var limits = new ResourceLimits(
            Cpus: support.Limiter.Controllers.Contains("cpu") ? launch.Size.Cpus + _options.CpuOverhead : null,
            MemoryBytes: support.Limiter.Controllers.Contains("memory")
                ? launch.Size.MemoryBytes + _options.MemoryOverheadBytes
                : null
        );
        return support.Create(launch.Id, limits);
    }

    /// <summary>Counts the VM as active until it is destroyed; its tap, address and cgroup go after QEMU.</summary>
    private MicroVmSandbox Track(MicroVmSandbox sandbox)
    {
        var state = sandbox.State;
        var steps = new List<Func<Task>>();
        if (state.NetworkAddress is { } address)
            steps.Add(() =>
                _network.DetachTapAsync(state.SandboxId, System.Net.IPAddress.Parse(address), CancellationToken.None)
            );
        if (state.Cgroups is { Count: > 0 } cgroups)
        {
            steps.Add(async () =>
            {
                if (_cgroups.Value.Reopen(cgroups) is { } group)
                    await group.DisposeAsync();
            });
        }
        sandbox.Teardown = steps;
        _active.TryAdd(sandbox, 0);
        sandbox.Released += () => _active.TryRemove(sandbox, out _);
        return sandbox;
    }

    /// <summary>Connects to the control port (QEMU makes it early in its start) and records QEMU's pid.</summary>
    private async Task ConnectAsync(
        MicroVmSandbox sandbox,
        GuestChannel channel,
        VmLayout layout,
        CancellationToken cancellationToken
    )
    {
        using var boot = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        boot.CancelAfter(_options.BootTimeout);
        try
        {
            await channel.ConnectAsync(() => sandbox.MonitorExited, _time, boot.Token);
            if (
                File.Exists(layout.QemuPidFile)
                && int.TryParse(File.ReadAllText(layout.QemuPidFile).Trim(), out var qemuPid)
                && ProcessIdentity.Of(qemuPid) is { } qemu
            )
                sandbox.Update(sandbox.State with { Qemu = qemu });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxStartException(
                $"QEMU did not open the VM's control port within {_options.BootTimeout}: {sandbox.FailureTail()}"
            );
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new SandboxStartException($"QEMU did not start: {sandbox.FailureTail()} ({e.Message})");
        }
    }

    /// <summary>Sends the task (a fresh identity, then the command) and waits until the guest runs it.</summary>
    private async Task RunCommandAsync(
        MicroVmSandbox sandbox,
        ProcessPlan plan,
        SandboxSpec spec,
        CancellationToken cancellationToken
    )
    {
        using var boot = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        boot.CancelAfter(_options.BootTimeout);
        try
        {
            var workspace = spec.WorkspaceDirectory is null ? null : _options.WorkspacePath;
            await sandbox.Channel.SendAsync(TaskFrames(plan, spec, NetFrame(sandbox.State), workspace), boot.Token);
            await WaitForAsync(sandbox, sandbox.CommandStarted, "before its command ran", boot.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxStartException(
                $"the VM did not start its command within {_options.BootTimeout} ({Backend}): {sandbox.FailureTail()}"
            );
        }
    }

    private async Task WaitForAsync(
        MicroVmSandbox sandbox,
        Func<bool> reached,
        string what,
        CancellationToken cancellationToken
    )
    {
        while (!reached())
        {
            if (sandbox.MonitorExited)
            {
                if (reached())
                    break;
                throw new SandboxStartException($"the VM ended {what}: {sandbox.FailureTail()}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(25), _time, cancellationToken);
        }
    }

    /// <summary>
    /// A fresh identity (hostname, machine-id, random seed), the workspace's mount point (then the working directory),
    /// the working directory and user, the environment, argv.
    /// </summary>
    internal static string TaskFrames(ProcessPlan plan, SandboxSpec spec, string? net = null, string? workspace = null)
    {
        var frames = new StringBuilder();
        if (net is not null)
            frames.Append(GuestChannel.Frame("net", net));
        frames.Append(
            GuestChannel.Frame("hostname", spec.SandboxId.Length <= 63 ? spec.SandboxId : spec.SandboxId[..63])
        );
        frames.Append(
            GuestChannel.Frame(
                "machine-id",
                Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant() + "\n"
            )
        );
        frames.Append(GuestChannel.Frame("seed", RandomNumberGenerator.GetBytes(64)));
        if (workspace is not null)
            frames.Append(GuestChannel.Frame("workspace", workspace));
        frames.Append(GuestChannel.Frame("cwd", workspace ?? plan.WorkingDirectory));
        if (plan.Uid != 0 || plan.Gid != 0)
            frames.Append(
                GuestChannel.Frame(
                    "user",
                    plan.Uid.ToString(CultureInfo.InvariantCulture)
                        + ":"
                        + plan.Gid.ToString(CultureInfo.InvariantCulture)
                )
            );
        foreach (var variable in plan.Env)
            frames.Append(GuestChannel.Frame("env", variable));
        foreach (var argument in plan.Args)
            frames.Append(GuestChannel.Frame("arg", argument));
        frames.Append("run -\n");
        return frames.ToString();
    }

    /// <summary>The guest's network: "ADDRESS/PREFIX GATEWAY [NAMESERVER]", or null without one.</summary>
    private string? NetFrame(MicroVmHandle state) =>
        state.NetworkAddress is not { } address
            ? null
            : string.Join(
                ' ',
                new[] { $"{address}/{_network.PrefixLength}", _network.Gateway.ToString() }.Concat(
                    _network.NameServers().Take(1)
                )
            );

    private async Task<StoredImage> GetImageAsync(
        string reference,
        ImagePullPolicy pull,
        IProgress<string>? status,
        CancellationToken cancellationToken
    )
    {
        try
        {
            var policy = pull == ImagePullPolicy.Missing && !_options.PullMissingImages ? ImagePullPolicy.Never : pull;
            var progress = status is not null ? new PullStatus(reference, status) : null;
            return await _images.GetAsync(reference, policy, ids: null, progress, cancellationToken);
        }
        catch (ImageNotStoredException e)
        {
            throw new SandboxStartException(e.Message, e);
        }
        catch (Exception e)
            when (e is RegistryException or FormatException or UnsafeLayerException or HttpRequestException)
        {
            throw new SandboxStartException($"cannot get image {reference}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The image's ext4 disk, built on first use under a lease, so the store's GC keeps the rootfs while it is read.
    /// </summary>
    private async Task<string> BaseDiskAsync(
        string reference,
        StoredImage image,
        string holder,
        CancellationToken cancellationToken
    )
    {
        using var lease = _images.AcquireLease(image, holder);
        try
        {
            return await _disks.EnsureAsync(image.ManifestDigest.Hex, image.RootfsPath, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot make the root disk of {reference}: {e.Message}", e);
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SandboxIdPattern();

    [GeneratedRegex(@"version\s+([0-9][^\s]*)")]
    private static partial Regex QemuVersionPattern();
}
