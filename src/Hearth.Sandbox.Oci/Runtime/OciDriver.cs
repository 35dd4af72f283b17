using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Reaping;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Reaping;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// The <c>oci</c> sandbox driver: runs a command in a container made from an image in the
/// <see cref="ImageStore"/>, with runc or crun.
/// </summary>
public sealed partial class OciDriver : ISandboxDriver
{
    private readonly OciDriverOptions _options;
    private readonly ImageStore _images;
    private readonly TimeProvider _time;
    private readonly CgroupSupport _cgroups = new();
    private readonly RuntimeCommand _runtime;
    private readonly RuntimeCommand _memoryLimitedRuntime;
    private readonly RuntimeSpecBuilder _specs;
    private readonly BridgeNetwork _network;
    private readonly NamedNetworks _named;
    private readonly SandboxLauncher _launcher = new(new LauncherOptions());
    private readonly OciLeftovers _leftovers;

    public OciDriver(OciDriverOptions options, ImageStore images, TimeProvider time)
    {
        _options = options;
        _images = images;
        _time = time;
        _runtime = new RuntimeCommand(options.Runtime, options.StateRoot);
        // Each runtime keeps its state apart: neither reads the other's.
        _memoryLimitedRuntime =
            options.MemoryLimitedRuntime is { } other && other != options.Runtime
                ? new RuntimeCommand(other, options.StateRoot.TrimEnd('/') + "-" + Path.GetFileName(other))
                : _runtime;
        _specs = new RuntimeSpecBuilder(options, _cgroups);
        _network = new BridgeNetwork(options.Network, time);
        _named = new NamedNetworks(options.Network, time);
        _leftovers = new OciLeftovers([
            .. HostOrphanSources.Create(time),
            .. OciOrphanSources.Create(options, images.RootDirectory, time),
        ]);
    }

    /// <summary>The bridge networked sandboxes join.</summary>
    public BridgeNetwork Network => _network;

    /// <summary>
    /// The named networks (compose networks) sandboxes join through <see cref="SandboxSpec.Networks"/>.
    /// </summary>
    public NamedNetworks NamedNetworks => _named;

    public string Name => "oci";

    /// <summary>
    /// Containers outlive the agent: each has a monitor of its own (<see cref="OciMonitor"/>) that records its exit.
    /// </summary>
    public DriverCapabilities Capabilities { get; } =
        new(
            FilesystemIsolation.Image,
            NetworkModes: ["none", "bridge"],
            Ports: true,
            Signals: true,
            Exec: true,
            Recover: true,
            Limits: ["cpu", "memory", "pids"]
        );

    /// <summary>
    /// Finds a container an earlier agent started: its monitor (the same pid with the same start time) still running,
    /// or exited meanwhile with the exit code it recorded. Its output is followed from <paramref name="from"/>.
    /// </summary>
    public Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    )
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = OciHandle.From(handle);
        var files = SandboxFiles.Open(state.StateDirectory);
        if (!state.Monitor.IsAlive() && files.RecordedExitCode() is null)
            throw new SandboxRecoveryException(
                $"container {state.ContainerId} is gone and its monitor recorded no exit code"
            );
        return Task.FromResult<ISandbox>(Adopt(state, files, output, from, files.RecordedExitCode));
    }

    /// <summary>
    /// Kills the container a handle names and removes everything it made, found by its marks. Idempotent.
    /// </summary>
    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (handle.Driver == Name && handle.Version == 1)
        {
            // An agent before recovery existed kept only the container's coordinates.
            var runtime = new RuntimeCommand(handle.Require("runtime"), handle.Require("runtime_root"));
            await runtime.RunAsync(cancellationToken, "delete", "--force", handle.Require("container_id"));
            return;
        }
        var state = OciHandle.From(handle);
        var files = SandboxFiles.OpenOrMissing(state.StateDirectory);
        var end = new OutputCursor(files.Length(OutputStream.Stdout), files.Length(OutputStream.Stderr));
        await using var sandbox = Adopt(state, files, NoOutput.Instance, end, () => files.RecordedExitCode() ?? 137);
    }

    private OciSandbox Adopt(
        OciHandle state,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        Func<int?> exitCode
    )
    {
        var runtime = new RuntimeCommand(state.Runtime, state.RuntimeRoot);
        var resources = new OciResources(state.Scratch)
        {
            Leftovers = () => _leftovers.RemoveAsync(state.ContainerId, state.ScratchRoot, CancellationToken.None),
        };
        return new OciSandbox(
            new AdoptedProcess(state.Monitor, exitCode, _time),
            state,
            runtime,
            _cgroups,
            resources,
            files,
            output,
            from,
            _launcher.Options,
            _time
        );
    }

    private static bool IsCrun(RuntimeCommand runtime) => Path.GetFileName(runtime.Runtime) == "crun";

    private bool UsesCrun => IsCrun(_runtime) || IsCrun(_memoryLimitedRuntime);

    private RuntimeCommand RuntimeFor(SandboxSpec spec) =>
        spec.Limits.MemoryBytes is null ? _runtime : _memoryLimitedRuntime;

    // crun removes the container's cgroup, OOM counter included, before its exit is seen: on cgroup v1 its memory limit
    // goes on a parent cgroup that is watched for OOM instead (v2 is not handled yet: crun's OOM kills go unseen).
    private bool WatchesOom(RuntimeCommand runtime, SandboxSpec spec) =>
        IsCrun(runtime) && spec.Limits.MemoryBytes is not null && !_cgroups.IsUnified && OomWatch.IsSupported;

    // Only runc can keep a stopped container (run --keep), which is what lets the OOM counter be read.
    // Keeping costs one more runtime call per run, so it is done only when a memory limit can be hit.
    private static bool KeepsStoppedContainers(RuntimeCommand runtime, SandboxSpec spec) =>
        !IsCrun(runtime) && spec.Limits.MemoryBytes is not null;

    public DriverFingerprint Fingerprint()
    {
        if (!Environment.IsPrivilegedProcess)
            return DriverFingerprint.Unhealthy("the oci driver needs root (namespaces, cgroups, overlay mounts)");
        if (Version(_runtime.Runtime, out var version) is { } unhealthy)
            return unhealthy;
        if (_memoryLimitedRuntime != _runtime && Version(_memoryLimitedRuntime.Runtime, out _) is { } memoryUnhealthy)
            return memoryUnhealthy;
        if (UsesCrun && HybridCgroupFix.IsNeeded() && !_options.FixHybridCgroupsForCrun)
            return DriverFingerprint.Unhealthy(
                "crun refuses this host's hybrid cgroups (hugetlb in cgroup2); enable FixHybridCgroupsForCrun or use runc"
            );

        var attributes = new Dictionary<string, string>
        {
            ["driver.oci"] = "1",
            ["driver.oci.runtime"] = Path.GetFileName(_options.Runtime),
            ["driver.oci.runtime.version"] = VersionPattern().Match(version) is { Success: true } m
                ? m.Groups[1].Value
                : "unknown",
            ["driver.oci.runtime.memory_limited"] = Path.GetFileName(_memoryLimitedRuntime.Runtime),
            ["driver.oci.cgroup"] = _cgroups.IsUnified ? "v2" : "v1",
            ["driver.oci.overlay"] = File.ReadAllText("/proc/filesystems").Contains("overlay") ? "true" : "false",
            ["driver.oci.arch"] = Platform.Current.Architecture,
            ["driver.oci.network"] = BridgeNetwork.ToolsAvailable() ? "bridge" : "none",
            ["driver.oci.userns"] = _options.UserNamespace?.ToString() ?? "off",
            [LinuxCapabilities.AllowedLabel] = string.Join(",", _options.CapabilitiesAllowed),
            // What containers may reach on the host's own addresses (--oci-allow-host-ports); the rest is refused.
            ["driver.oci.allow_host_ports"] =
                _options.Network.AllowedHostPorts.Count == 0
                    ? "none"
                    : string.Join(",", _options.Network.AllowedHostPorts),
        };
        return new DriverFingerprint(true, null, attributes);
    }

    private static DriverFingerprint? Version(string runtime, out string version)
    {
        version = "";
        try
        {
            var start = new ProcessStartInfo(runtime, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            version = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)) || process.ExitCode != 0)
                return DriverFingerprint.Unhealthy($"{runtime} --version failed");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return DriverFingerprint.Unhealthy($"OCI runtime '{runtime}' not found: {e.Message}");
        }
        return null;
    }

    public async Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        if (!ContainerIdPattern().IsMatch(spec.SandboxId))
            throw new SandboxStartException($"sandbox id '{spec.SandboxId}' is not a valid container id");
        if (string.IsNullOrEmpty(spec.Image))
            throw new SandboxStartException("the oci driver needs an image");
        if (spec.Ports.Count > 0 && !spec.Network && spec.Networks.Count == 0)
            throw new SandboxStartException("published ports need a network (SandboxSpec.Network or Networks)");
        if (spec.NetworkOf is not null && (spec.Network || spec.Networks.Count > 0 || spec.Ports.Count > 0))
            throw new SandboxStartException(
                "a sandbox that joins another's network (NetworkOf) has no network or ports of its own"
            );
        SandboxContents.Validate(spec);
        ContainerChecks.Validate(spec.Container, _options.CapabilitiesAllowed);
        var runtime = RuntimeFor(spec);
        var keep = KeepsStoppedContainers(runtime, spec);
        if (IsCrun(runtime) && _options.FixHybridCgroupsForCrun)
            await HybridCgroupFix.ApplyAsync(cancellationToken);

        StoredImage image;
        try
        {
            var policy =
                spec.Pull == ImagePullPolicy.Missing && !_options.PullMissingImages ? ImagePullPolicy.Never : spec.Pull;
            var progress = spec.Status is { } status ? new PullStatus(spec.Image, status) : null;
            image = await _images.GetAsync(spec.Image, policy, _options.UserNamespace, progress, cancellationToken);
        }
        catch (ImageNotStoredException e)
        {
            throw new SandboxStartException(e.Message, e);
        }
        catch (Exception e)
            when (e is RegistryException or FormatException or UnsafeLayerException or HttpRequestException)
        {
            throw new SandboxStartException($"cannot get image {spec.Image}: {e.Message}", e);
        }

        var plan = ImageProcessResolver.Resolve(image, spec);
        // ScratchRoot is shared by every sandbox of an agent; this one owns only its own directory in it.
        var scratch = Path.GetFullPath(Path.Combine(spec.ScratchRoot, spec.SandboxId));
        var bundle = Path.Combine(scratch, "bundle");
        var files = SandboxFiles.Create(spec.StateDirectoryOrDefault);
        var resources = new OciResources(scratch);
        OciSandbox? sandbox = null;
        try
        {
            Directory.CreateDirectory(bundle);
            Directory.CreateDirectory(runtime.StateRoot);
            resources.Lease = _images.AcquireLease(image, spec.SandboxId);
            var mounts = _options.UserNamespace is not { } ids
                ? bundle
                : MountDirectory.Create(_options.UserNamespaceMountRoot, spec.SandboxId, ids);
            var rootfs = resources.Rootfs = await RunRootfs.PrepareAsync(
                image.RootfsPath,
                bundle,
                mounts,
                _options.RootfsMode,
                _options.UserNamespace,
                cancellationToken
            );
            NetworkPlan? networkPlan = null;
            var ipcPeer = spec.IpcOf is { } ipcOf
                ? PeerContainer.Find(spec.ScratchRoot, ipcOf, "join its IPC namespace")
                : null;
            if (ipcPeer is not null && _options.UserNamespace is not null && !ipcPeer.HasOwnUserNamespace())
                throw new SandboxStartException(
                    $"cannot join the IPC namespace of container {ipcPeer.SandboxId}: it runs without a user "
                        + "namespace and this agent runs containers in one (--oci-userns); restart it"
                );
            // Docker's way: /dev/shm is a tmpfs on the host, bound into the container and into every container that
            // joins its IPC namespace.
            var shm = ipcPeer is not null
                ? SharedShm(ipcPeer, spec.ScratchRoot)
                : rootfs.MountShm(
                    spec.Container?.ShmSizeBytes ?? ContainerSettings.DefaultShmSizeBytes,
                    _options.UserNamespace
                );
            if (spec.NetworkOf is { } networkOf)
            {
                networkPlan = await JoinNetworkAsync(
                    PeerContainer.Find(spec.ScratchRoot, networkOf, "join its network"),
                    rootfs,
                    cancellationToken
                );
                // The namespace is the peer's: its net.* sysctls change the peer's network too (as runc does under
                // docker's --network container:X).
                await ContainerChecks.SetNetworkSysctlsAsync(
                    spec.Container,
                    networkPlan.NamespacePath,
                    cancellationToken
                );
            }
            else if (spec.Networks.Count > 0)
                await AttachNamedNetworksAsync(spec, resources, cancellationToken);
            else if (spec.Network)
                resources.Networks.Add(await AttachNetworkAsync(spec, cancellationToken));
            if (resources.Networks.Count > 0)
            {
                var network = resources.Networks[0];
                var (hosts, resolvConf) = ContainerEtcFiles.Write(
                    Path.Combine(rootfs.Directory, "etc"),
                    network,
                    RuntimeSpecBuilder.HostnameOf(spec),
                    _options.Network,
                    spec.GatewayDns && network.NetworkName is not null ? [network.Gateway.ToString()] : null
                );
                var sysfs = _options.UserNamespace is null
                    ? null
                    : await rootfs.MountSysfsAsync(network.NamespacePath, cancellationToken);
                networkPlan = new NetworkPlan(network.NamespacePath, hosts, resolvConf, sysfs);
                await ContainerChecks.SetNetworkSysctlsAsync(spec.Container, network.NamespacePath, cancellationToken);
            }
            if (spec.NetworksReady is { } ready && resources.Networks.Any(n => n.NetworkName is not null))
                await ready(
                    [
                        .. resources.Networks.Select(n => new SandboxAddress(
                            n.NetworkName!,
                            n.Address.ToString(),
                            n.Gateway.ToString()
                        )),
                    ],
                    cancellationToken
                );
            var contents = SandboxContents.Write(spec, Path.Combine(rootfs.Directory, "files"), _options.UserNamespace);
            string? oomParent = null;
            if (WatchesOom(runtime, spec))
            {
                oomParent = _specs.CgroupPath(spec.SandboxId);
                resources.OomWatch = OomWatch.Create(
                    oomParent,
                    spec.Limits.MemoryBytes!.Value,
                    _cgroups.SwapAccounting
                );
            }
            string? workspace = null;
            if (spec.WorkspaceDirectory is { } shared)
            {
                WorkspaceOwner.Give(shared, plan, _options.UserNamespace);
                workspace = rootfs.BindWorkspace(shared);
            }
            var config = _specs.Build(
                spec,
                plan,
                spec.SandboxId,
                rootfs.Path,
                networkPlan,
                resources.OomWatch,
                workspace,
                contents,
                ipcPeer,
                shm
            );
            await File.WriteAllTextAsync(
                Path.Combine(bundle, "config.json"),
                config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
                cancellationToken
            );

            var pidFile = Path.Combine(bundle, "container.pid");
            var runtimeArgv = new List<string>
            {
                runtime.Runtime,
                "--root",
                runtime.StateRoot,
                "run",
                "--bundle",
                bundle,
                "--pid-file",
                pidFile,
            };
            if (keep)
                runtimeArgv.Add("--keep");
            runtimeArgv.Add(spec.SandboxId);
            var launch = new SandboxLaunch(
                OciMonitor.Argv(_launcher.Options.ShellPath, runtimeArgv),
                OciMonitor.Environment(spec.SandboxId, spec.ScratchRoot),
                bundle,
                RootIsMonitor: true,
                ScratchDirectory.Reopen(scratch, owned: true),
                Cgroup: null
            )
            {
                Files = files,
            };
            var cgroupsPath = config["linux"]!["cgroupsPath"]!.GetValue<string>();
            var startedAt = _time.GetUtcNow();
            await _launcher.StartAsync(
                launch,
                monitor =>
                {
                    // A monitor gone already has no start time to read; it is never recovered (its exit is known at
                    // once).
                    var identity = ProcessIdentity.Of(monitor.Pid) ?? new ProcessIdentity(monitor.Pid, -1);
                    var state = new OciHandle(
                        spec.SandboxId,
                        runtime.Runtime,
                        runtime.StateRoot,
                        cgroupsPath,
                        keep,
                        oomParent,
                        identity,
                        startedAt,
                        files.Directory,
                        scratch,
                        Hearth.Sandbox.Reaping.SandboxOwner.Normalize(spec.ScratchRoot)
                    )
                    {
                        Addresses =
                        [
                            .. resources
                                .Networks.Where(n => n.NetworkName is not null)
                                .Select(n => new SandboxAddress(
                                    n.NetworkName!,
                                    n.Address.ToString(),
                                    n.Gateway.ToString()
                                )),
                        ],
                    };
                    return sandbox = new OciSandbox(
                        monitor,
                        state,
                        runtime,
                        _cgroups,
                        resources,
                        files,
                        output,
                        OutputCursor.Start,
                        _launcher.Options,
                        _time
                    );
                },
                cancellationToken
            );
            await WaitUntilCreatedAsync(runtime, pidFile, sandbox!, cancellationToken);
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
                try
                {
                    await resources.ReleaseAsync();
                }
                finally
                {
                    files.Delete();
                }
            }
            throw;
        }
    }

    /// <summary>
    /// The host's tmpfs the peer has at /dev/shm (<see cref="RunRootfs.MountShm"/>), or null for a peer an agent before
    /// this one started, whose /dev/shm the runtime mounted: the joiner then has its own, as it had then.
    /// </summary>
    private string? SharedShm(PeerContainer peer, string scratchRoot)
    {
        var candidates = new[]
        {
            RunRootfs.ShmPath(Path.Combine(Path.GetFullPath(_options.UserNamespaceMountRoot), peer.SandboxId)),
            RunRootfs.ShmPath(Path.Combine(Path.GetFullPath(scratchRoot), peer.SandboxId, "bundle")),
        };
        var points = Hearth.Sandbox.Reaping.MountTable.MountPoints().ToHashSet(StringComparer.Ordinal);
        return candidates.FirstOrDefault(points.Contains);
    }

    /// <summary>
    /// The peer's network namespace, with copies of its /etc/hosts and /etc/resolv.conf (written once when it started,
    /// so a copy stays true), as docker gives a container on another's network.
    /// </summary>
    private async Task<NetworkPlan> JoinNetworkAsync(
        PeerContainer peer,
        RunRootfs rootfs,
        CancellationToken cancellationToken
    )
    {
        var etc = Path.Combine(rootfs.Directory, "etc");
        Directory.CreateDirectory(etc);
        var hosts = Path.Combine(etc, "hosts");
        var resolvConf = Path.Combine(etc, "resolv.conf");
        try
        {
            File.Copy(peer.Inside("/etc/hosts"), hosts, overwrite: true);
            File.Copy(peer.Inside("/etc/resolv.conf"), resolvConf, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot join the network of container {peer.SandboxId}: {e.Message}");
        }
        var sysfs = _options.UserNamespace is null
            ? null
            : await rootfs.MountSysfsAsync(peer.NetworkNamespace, cancellationToken);
        return new NetworkPlan(peer.NetworkNamespace, hosts, resolvConf, sysfs);
    }

    private async Task<ContainerNetwork> AttachNetworkAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            // The bridge's namespace belongs to the host's user namespace, in which the container's root holds no
            // capability, CAP_NET_BIND_SERVICE included: ports below 1024 are opened to every user instead (as docker
            // does).
            return await _network.AttachAsync(
                spec.SandboxId,
                spec.Ports,
                cancellationToken,
                lowPortsForEveryone: _options.UserNamespace is not null
            );
        }
        catch (NetworkSetupException e)
        {
            throw new SandboxStartException($"cannot set up the network: {e.Message}", e);
        }
    }

    /// <summary>
    /// Joins the sandbox's named networks in order: the first makes its namespace (eth0, the default route, the
    /// published ports), the others add eth1, eth2… Each is added to <paramref name="resources"/> at once, so a failure
    /// part-way releases the ones made.
    /// </summary>
    private async Task AttachNamedNetworksAsync(
        SandboxSpec spec,
        OciResources resources,
        CancellationToken cancellationToken
    )
    {
        try
        {
            for (var i = 0; i < spec.Networks.Count; i++)
            {
                var first = i == 0;
                resources.Networks.Add(
                    await _named.AttachAsync(
                        spec.Networks[i].Name,
                        spec.SandboxId,
                        first ? spec.Ports : [],
                        first ? null : resources.Networks[0].NamespaceName,
                        $"eth{i}",
                        lowPortsForEveryone: _options.UserNamespace is not null,
                        cancellationToken,
                        spec.Networks[i].Subnet,
                        spec.Networks[i].Address,
                        spec.Networks[i].Internal
                    )
                );
            }
        }
        catch (NetworkSetupException e)
        {
            throw new SandboxStartException($"cannot set up the network: {e.Message}", e);
        }
    }

    /// <summary>
    /// The runtime writes the pid file once the container exists; its monitor ending first means it failed.
    /// </summary>
    private async Task WaitUntilCreatedAsync(
        RuntimeCommand runtime,
        string pidFile,
        OciSandbox sandbox,
        CancellationToken cancellationToken
    )
    {
        var deadline = _time.GetUtcNow() + _options.StartTimeout;
        while (true)
        {
            if (HasPid(pidFile))
                return;
            if (sandbox.MonitorExited)
            {
                if (HasPid(pidFile))
                    return;
                var exit = await sandbox.WaitAsync(cancellationToken);
                throw new SandboxStartException(
                    $"{runtime.Runtime} could not start the container (exit {exit.ExitCode}): {sandbox.ErrorTail()}"
                );
            }
            if (_time.GetUtcNow() > deadline)
                throw new SandboxStartException(
                    $"{runtime.Runtime} did not start the container within {_options.StartTimeout}"
                );
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time, cancellationToken);
        }
    }

    private static bool HasPid(string pidFile) => File.Exists(pidFile) && new FileInfo(pidFile).Length > 0;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ContainerIdPattern();

    [GeneratedRegex(@"version\s+([0-9][^\s]*)")]
    private static partial Regex VersionPattern();
}
