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
    private readonly RuntimeSpecBuilder _specs;
    private readonly BridgeNetwork _network;

    public OciDriver(OciDriverOptions options, ImageStore images, TimeProvider time)
    {
        _options = options;
        _images = images;
        _time = time;
        _runtime = new RuntimeCommand(options.Runtime, options.StateRoot);
        _specs = new RuntimeSpecBuilder(options, _cgroups);
        _network = new BridgeNetwork(options.Network, time);
    }

    /// <summary>The bridge networked sandboxes join.</summary>
    public BridgeNetwork Network => _network;

    public string Name => "oci";

    public DriverCapabilities Capabilities { get; } = new(FilesystemIsolation: true, NetworkIsolation: true, ResourceLimits: true, Images: true);

    private bool IsCrun => Path.GetFileName(_options.Runtime) == "crun";

    // Only runc can keep a stopped container (run --keep), which is what lets the OOM counter be read.
    // Keeping costs one more runtime call per run, so it is done only when a memory limit can be hit.
    private bool KeepsStoppedContainers(SandboxSpec spec) => !IsCrun && spec.Limits.MemoryBytes is not null;

    public DriverFingerprint Fingerprint()
    {
        if (!Environment.IsPrivilegedProcess) return DriverFingerprint.Unhealthy("the oci driver needs root (namespaces, cgroups, overlay mounts)");
        string version;
        try
        {
            var start = new ProcessStartInfo(_options.Runtime, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            version = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(5)) || process.ExitCode != 0)
                return DriverFingerprint.Unhealthy($"{_options.Runtime} --version failed");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return DriverFingerprint.Unhealthy($"OCI runtime '{_options.Runtime}' not found: {e.Message}");
        }
        if (IsCrun && HybridCgroupFix.IsNeeded() && !_options.FixHybridCgroupsForCrun)
            return DriverFingerprint.Unhealthy("crun refuses this host's hybrid cgroups (hugetlb in cgroup2); enable FixHybridCgroupsForCrun or use runc");

        var attributes = new Dictionary<string, string>
        {
            ["driver.oci"] = "1",
            ["driver.oci.runtime"] = Path.GetFileName(_options.Runtime),
            ["driver.oci.runtime.version"] = VersionPattern().Match(version) is { Success: true } m ? m.Groups[1].Value : "unknown",
            ["driver.oci.cgroup"] = _cgroups.IsUnified ? "v2" : "v1",
            ["driver.oci.overlay"] = File.ReadAllText("/proc/filesystems").Contains("overlay") ? "true" : "false",
            ["driver.oci.arch"] = Platform.Current.Architecture,
            ["driver.oci.network"] = BridgeNetwork.ToolsAvailable() ? "bridge" : "none",
        };
        return new DriverFingerprint(true, null, attributes);
    }

    public async Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        if (!ContainerIdPattern().IsMatch(spec.SandboxId))
            throw new SandboxStartException($"sandbox id '{spec.SandboxId}' is not a valid container id");
        if (string.IsNullOrEmpty(spec.Image)) throw new SandboxStartException("the oci driver needs an image");
        if (spec.Ports.Count > 0 && !spec.Network) throw new SandboxStartException("published ports need a network (SandboxSpec.Network)");
        if (IsCrun && _options.FixHybridCgroupsForCrun) await HybridCgroupFix.ApplyAsync(cancellationToken);

        StoredImage image;
        try
        {
            image = await _images.FindAsync(spec.Image, cancellationToken)
                ?? (_options.PullMissingImages
                    ? await _images.PullAsync(spec.Image, progress: null, cancellationToken)
                    : throw new SandboxStartException($"image {spec.Image} is not in the store"));
        }
        catch (Exception e) when (e is RegistryException or FormatException or UnsafeLayerException)
        {
            throw new SandboxStartException($"cannot get image {spec.Image}: {e.Message}", e);
        }

        var plan = ImageProcessResolver.Resolve(image, spec);
        var scratch = Path.GetFullPath(spec.ScratchRoot);
        var bundle = Path.Combine(scratch, "bundle");
        Directory.CreateDirectory(bundle);
        Directory.CreateDirectory(_options.StateRoot);
        var lease = _images.AcquireLease(image, spec.SandboxId);
        RunRootfs? rootfs = null;
        ContainerNetwork? network = null;
        Process? process = null;
        try
        {
            rootfs = await RunRootfs.PrepareAsync(image.RootfsPath, bundle, _options.RootfsMode, cancellationToken);
            NetworkPlan? networkPlan = null;
            if (spec.Network)
            {
                network = await AttachNetworkAsync(spec, cancellationToken);
                var (hosts, resolvConf) = ContainerEtcFiles.Write(Path.Combine(bundle, "etc"), network,
                    RuntimeSpecBuilder.Hostname(spec.SandboxId), _options.Network);
                networkPlan = new NetworkPlan(network.NamespacePath, hosts, resolvConf);
            }
            var config = _specs.Build(spec, plan, spec.SandboxId, rootfs.Path, networkPlan);
            await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);

            var pidFile = Path.Combine(bundle, "container.pid");
            var args = new List<string> { "run", "--bundle", bundle, "--pid-file", pidFile };
            if (KeepsStoppedContainers(spec)) args.Add("--keep");
            args.Add(spec.SandboxId);
            process = Process.Start(_runtime.StartInfo([.. args])) ?? throw new SandboxStartException($"cannot start {_options.Runtime}");
            process.StandardInput.Close();
            var stdout = new OutputPump(process.StandardOutput, OutputStream.Stdout, output);
            var stderr = new OutputPump(process.StandardError, OutputStream.Stderr, output);
            var cgroupsPath = config["linux"]!["cgroupsPath"]!.GetValue<string>();
            var sandbox = new OciSandbox(process, _runtime, spec.SandboxId, cgroupsPath, KeepsStoppedContainers(spec),
                _cgroups, rootfs, network, scratch, lease, _time, stdout, stderr);
            await WaitUntilCreatedAsync(process, pidFile, sandbox, cancellationToken);
            return sandbox;
        }
        catch
        {
            if (process is not null)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                await _runtime.RunAsync(CancellationToken.None, "delete", "--force", spec.SandboxId);
                process.Dispose();
            }
            rootfs?.Release();
            lease.Dispose();
            TryDelete(scratch);
            if (network is not null) await network.DisposeAsync();
            throw;
        }
    }

    private async Task<ContainerNetwork> AttachNetworkAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        try
        {
            return await _network.AttachAsync(spec.SandboxId, spec.Ports, cancellationToken);
        }
        catch (NetworkSetupException e)
        {
            throw new SandboxStartException($"cannot set up the network: {e.Message}", e);
        }
    }

    /// <summary>The runtime writes the pid file once the container exists; exiting first means it failed.</summary>
    private async Task WaitUntilCreatedAsync(Process process, string pidFile, OciSandbox sandbox, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.StartTimeout;
        while (true)
        {
            if (HasPid(pidFile)) return;
            if (process.HasExited)
            {
                if (HasPid(pidFile)) return;
                var exit = await sandbox.WaitAsync(cancellationToken);
                throw new SandboxStartException($"{_options.Runtime} could not start the container (exit {exit.ExitCode}): {sandbox.ErrorTail}");
            }
            if (_time.GetUtcNow() > deadline) throw new SandboxStartException($"{_options.Runtime} did not start the container within {_options.StartTimeout}");
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
