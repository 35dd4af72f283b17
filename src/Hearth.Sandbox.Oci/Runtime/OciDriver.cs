using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Registry;

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

    public OciDriver(OciDriverOptions options, ImageStore images, TimeProvider time)
    {
        _options = options;
        _images = images;
        _time = time;
        _runtime = new RuntimeCommand(options.Runtime, options.StateRoot);
        // Each runtime keeps its state apart: neither reads the other's.
        _memoryLimitedRuntime = options.MemoryLimitedRuntime is { } other && other != options.Runtime
            ? new RuntimeCommand(other, options.StateRoot.TrimEnd('/') + "-" + Path.GetFileName(other))
            : _runtime;
        _specs = new RuntimeSpecBuilder(options, _cgroups);
        _network = new BridgeNetwork(options.Network, time);
    }

    /// <summary>The bridge networked sandboxes join.</summary>
    public BridgeNetwork Network => _network;

    public string Name => "oci";

    /// <summary>No recovery yet: <c>runtime run</c> in the foreground is the monitor, a child of the agent that dies with it.</summary>
    public DriverCapabilities Capabilities { get; } = new(
        FilesystemIsolation.Image,
        NetworkModes: ["none", "bridge"],
        Ports: true,
        Signals: true,
        Exec: true,
        Recover: false,
        Limits: ["cpu", "memory", "pids"]);

    public Task<ISandbox> RecoverAsync(SandboxHandle handle, ISandboxOutput output, OutputCursor from, CancellationToken cancellationToken) =>
        throw new SandboxRecoveryException("the oci driver cannot recover a container yet: its runtime runs in the foreground as the agent's child");

    /// <summary>Deletes the container a handle names (what else it made is removed by the orphan reaper).</summary>
    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        if (handle.Driver != Name) throw new SandboxRecoveryException($"a {handle.Driver} handle given to the oci driver");
        var runtime = new RuntimeCommand(handle.Require("runtime"), handle.Require("runtime_root"));
        await runtime.RunAsync(cancellationToken, "delete", "--force", handle.Require("container_id"));
    }

    private static bool IsCrun(RuntimeCommand runtime) => Path.GetFileName(runtime.Runtime) == "crun";

    private bool UsesCrun => IsCrun(_runtime) || IsCrun(_memoryLimitedRuntime);

    private RuntimeCommand RuntimeFor(SandboxSpec spec) => spec.Limits.MemoryBytes is null ? _runtime : _memoryLimitedRuntime;

    // crun removes the container's cgroup, OOM counter included, before its exit is seen: on cgroup v1 its memory
    // limit goes on a parent cgroup that is watched for OOM instead (v2 is not handled yet: crun's OOM kills go unseen).
    private bool WatchesOom(RuntimeCommand runtime, SandboxSpec spec) =>
        IsCrun(runtime) && spec.Limits.MemoryBytes is not null && !_cgroups.IsUnified && OomWatch.IsSupported;

    // Only runc can keep a stopped container (run --keep), which is what lets the OOM counter be read.
    // Keeping costs one more runtime call per run, so it is done only when a memory limit can be hit.
    private static bool KeepsStoppedContainers(RuntimeCommand runtime, SandboxSpec spec) => !IsCrun(runtime) && spec.Limits.MemoryBytes is not null;

    public DriverFingerprint Fingerprint()
    {
        if (!Environment.IsPrivilegedProcess) return DriverFingerprint.Unhealthy("the oci driver needs root (namespaces, cgroups, overlay mounts)");
        if (Version(_runtime.Runtime, out var version) is { } unhealthy) return unhealthy;
        if (_memoryLimitedRuntime != _runtime && Version(_memoryLimitedRuntime.Runtime, out _) is { } memoryUnhealthy) return memoryUnhealthy;
        if (UsesCrun && HybridCgroupFix.IsNeeded() && !_options.FixHybridCgroupsForCrun)
            return DriverFingerprint.Unhealthy("crun refuses this host's hybrid cgroups (hugetlb in cgroup2); enable FixHybridCgroupsForCrun or use runc");

        var attributes = new Dictionary<string, string>
        {
            ["driver.oci"] = "1",
            ["driver.oci.runtime"] = Path.GetFileName(_options.Runtime),
            ["driver.oci.runtime.version"] = VersionPattern().Match(version) is { Success: true } m ? m.Groups[1].Value : "unknown",
            ["driver.oci.runtime.memory_limited"] = Path.GetFileName(_memoryLimitedRuntime.Runtime),
            ["driver.oci.cgroup"] = _cgroups.IsUnified ? "v2" : "v1",
            ["driver.oci.overlay"] = File.ReadAllText("/proc/filesystems").Contains("overlay") ? "true" : "false",
            ["driver.oci.arch"] = Platform.Current.Architecture,
            ["driver.oci.network"] = BridgeNetwork.ToolsAvailable() ? "bridge" : "none",
            ["driver.oci.userns"] = _options.UserNamespace?.ToString() ?? "off",
        };
        return new DriverFingerprint(true, null, attributes);
    }

    private static DriverFingerprint? Version(string runtime, out string version)
    {
        version = "";
        try
        {
            var start = new ProcessStartInfo(runtime, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
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
        if (string.IsNullOrEmpty(spec.Image)) throw new SandboxStartException("the oci driver needs an image");
        if (spec.Ports.Count > 0 && !spec.Network) throw new SandboxStartException("published ports need a network (SandboxSpec.Network)");
        var runtime = RuntimeFor(spec);
        var keep = KeepsStoppedContainers(runtime, spec);
        if (IsCrun(runtime) && _options.FixHybridCgroupsForCrun) await HybridCgroupFix.ApplyAsync(cancellationToken);

        StoredImage image;
        try
        {
            var policy = spec.Pull == ImagePullPolicy.Missing && !_options.PullMissingImages ? ImagePullPolicy.Never : spec.Pull;
            var progress = spec.Status is { } status ? new PullStatus(spec.Image, status) : null;
            image = await _images.GetAsync(spec.Image, policy, _options.UserNamespace, progress, cancellationToken);
        }
        catch (ImageNotStoredException e)
        {
            throw new SandboxStartException(e.Message, e);
        }
        catch (Exception e) when (e is RegistryException or FormatException or UnsafeLayerException or HttpRequestException)
        {
            throw new SandboxStartException($"cannot get image {spec.Image}: {e.Message}", e);
        }

        var plan = ImageProcessResolver.Resolve(image, spec);
        // ScratchRoot is shared by every sandbox of an agent; this one owns only its own directory in it.
        var scratch = Path.GetFullPath(Path.Combine(spec.ScratchRoot, spec.SandboxId));
        var bundle = Path.Combine(scratch, "bundle");
        Directory.CreateDirectory(bundle);
        Directory.CreateDirectory(runtime.StateRoot);
        var lease = _images.AcquireLease(image, spec.SandboxId);
        RunRootfs? rootfs = null;
        OomWatch? oomWatch = null;
        ContainerNetwork? network = null;
        Process? process = null;
        try
        {
            var mounts = _options.UserNamespace is not { } ids ? bundle : MountDirectory.Create(_options.UserNamespaceMountRoot, spec.SandboxId, ids);
            rootfs = await RunRootfs.PrepareAsync(image.RootfsPath, bundle, mounts, _options.RootfsMode, _options.UserNamespace, cancellationToken);
            NetworkPlan? networkPlan = null;
            if (spec.Network)
            {
                network = await AttachNetworkAsync(spec, cancellationToken);
                var (hosts, resolvConf) = ContainerEtcFiles.Write(Path.Combine(rootfs.Directory, "etc"), network,
                    RuntimeSpecBuilder.Hostname(spec.SandboxId), _options.Network);
                var sysfs = _options.UserNamespace is null ? null : await rootfs.MountSysfsAsync(network.NamespacePath, cancellationToken);
                networkPlan = new NetworkPlan(network.NamespacePath, hosts, resolvConf, sysfs);
            }
            if (WatchesOom(runtime, spec)) oomWatch = OomWatch.Create(_specs.CgroupPath(spec.SandboxId), spec.Limits.MemoryBytes!.Value, _cgroups.SwapAccounting);
            var config = _specs.Build(spec, plan, spec.SandboxId, rootfs.Path, networkPlan, oomWatch);
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);

            var pidFile = Path.Combine(bundle, "container.pid");
            var args = new List<string> { "run", "--bundle", bundle, "--pid-file", pidFile };
            if (keep) args.Add("--keep");
            args.Add(spec.SandboxId);
            var start = runtime.StartInfo([.. args]);
            // The runtime's monitor carries the ownership marks, so an agent's death does not leave it unfound.
            foreach (var (name, value) in Hearth.Sandbox.Reaping.SandboxMarks.Environment(spec.SandboxId, spec.ScratchRoot)) start.Environment[name] = value;
            process = Process.Start(start) ?? throw new SandboxStartException($"cannot start {runtime.Runtime}");
            process.StandardInput.Close();
            var stdout = new OutputPump(process.StandardOutput, OutputStream.Stdout, output);
            var stderr = new OutputPump(process.StandardError, OutputStream.Stderr, output);
            var cgroupsPath = config["linux"]!["cgroupsPath"]!.GetValue<string>();
            var sandbox = new OciSandbox(process, runtime, spec.SandboxId, cgroupsPath, keep,
                _cgroups, oomWatch, rootfs, network, scratch, lease, _time, stdout, stderr);
            await WaitUntilCreatedAsync(runtime, process, pidFile, sandbox, cancellationToken);
            return sandbox;
        }
        catch
        {
            if (process is not null)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await runtime.RunAsync(CancellationToken.None, "delete", "--force", spec.SandboxId);
                process.Dispose();
            }
            oomWatch?.Dispose();
            rootfs?.Release();
            lease.Dispose();
            if (network is not null) await network.DisposeAsync();
            // Last: the scratch directory tells the orphan reaper whose the other resources are.
            TryDelete(scratch);
            throw;
        }
    }

    private async Task<ContainerNetwork> AttachNetworkAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            // The bridge's namespace belongs to the host's user namespace, in which the container's root holds no
            // capability, CAP_NET_BIND_SERVICE included: ports below 1024 are opened to every user instead (as docker does).
            return await _network.AttachAsync(spec.SandboxId, spec.Ports, cancellationToken, lowPortsForEveryone: _options.UserNamespace is not null);
        }
        catch (NetworkSetupException e)
        {
            throw new SandboxStartException($"cannot set up the network: {e.Message}", e);
        }
    }

    /// <summary>The runtime writes the pid file once the container exists; exiting first means it failed.</summary>
    private async Task WaitUntilCreatedAsync(RuntimeCommand runtime, Process process, string pidFile, OciSandbox sandbox, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.StartTimeout;
        while (true)
        {
            if (HasPid(pidFile)) return;
            if (process.HasExited)
            {
                if (HasPid(pidFile)) return;
                var exit = await sandbox.WaitAsync(cancellationToken);
                throw new SandboxStartException($"{runtime.Runtime} could not start the container (exit {exit.ExitCode}): {sandbox.ErrorTail}");
            }
            if (_time.GetUtcNow() > deadline) throw new SandboxStartException($"{runtime.Runtime} did not start the container within {_options.StartTimeout}");
            await Task.Delay(TimeSpan.FromMilliseconds(1), _time, cancellationToken);
        }
    }

    private static bool HasPid(string pidFile) => File.Exists(pidFile) && new FileInfo(pidFile).Length > 0;

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ContainerIdPattern();

    [GeneratedRegex(@"version\s+([0-9][^\s]*)")]
    private static partial Regex VersionPattern();
}
