using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Hearth.Sandbox.MicroVm.Vsock;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>
/// The microvm driver's Firecracker backend: per task, <c>firecracker --api-sock</c> under the monitor shell,
/// configured through its API (<see cref="FirecrackerMachine"/>) with the task's copy of the image's disk, Hearth's
/// initramfs and a vsock device, which carries the guest protocol (<see cref="VsockVmSandbox"/>). Refuses clearly where
/// the binary or the kernel is missing. Untested against a real Firecracker (none runs on the machines Hearth is
/// developed on): its tests use a server implementing the published API.
/// </summary>
internal sealed partial class FirecrackerBackend(
    MicroVmDriverOptions options,
    FirecrackerOptions firecracker,
    ImageStore images,
    TimeProvider time,
    MicroVmMetrics metrics
) : IMicroVmBackend
{
    public const string BackendName = "firecracker";
    private const string MonitorPid = "monitor_pid";
    private const string MonitorStartTime = "monitor_start_time";

    private readonly SandboxLauncher _launcher = new(new LauncherOptions());
    private readonly TaskImages _images = new(images, new RootDisks(options), options.PullMissingImages);

    public string Name => BackendName;

    public DriverCapabilities Capabilities => VsockBackend.Capabilities;

    public DriverFingerprint Fingerprint()
    {
        if (Resolve(firecracker.FirecrackerPath) is not { } binary)
            return DriverFingerprint.Unhealthy(
                $"the firecracker backend needs the firecracker binary: '{firecracker.FirecrackerPath}' is not installed"
            );
        if (firecracker.KernelPath is null)
            return DriverFingerprint.Unhealthy(
                "the firecracker backend needs a guest kernel (an uncompressed vmlinux): none is configured"
            );
        if (!File.Exists(firecracker.KernelPath))
            return DriverFingerprint.Unhealthy(
                $"the firecracker backend's guest kernel {firecracker.KernelPath} is missing"
            );
        if (firecracker.InitrdPath is null && !File.Exists(firecracker.SocatPath))
            return DriverFingerprint.Unhealthy(
                $"the firecracker backend's guest needs socat for its vsock channel: {firecracker.SocatPath} is missing (install socat)"
            );
        if (!File.Exists("/dev/kvm"))
            return DriverFingerprint.Unhealthy("Firecracker needs KVM: /dev/kvm is missing");
        string version;
        try
        {
            var (code, output) = Tool.RunAsync(binary, ["--version"], CancellationToken.None).GetAwaiter().GetResult();
            if (code != 0)
                return DriverFingerprint.Unhealthy($"{binary} --version failed: {output.Trim()}");
            version = VersionPattern().Match(output) is { Success: true } m ? m.Groups[1].Value : "unknown";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return DriverFingerprint.Unhealthy($"{binary} does not run: {e.Message}");
        }
        return VsockBackend.Healthy(BackendName, "driver.microvm.firecracker.version", version);
    }

    public async Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        var binary = Resolve(firecracker.FirecrackerPath)
            ?? throw new SandboxStartException(
                $"the microvm driver's firecracker backend cannot start a VM: '{firecracker.FirecrackerPath}' is not installed (not found on PATH)"
            );
        var (cpus, memory) = VmSize.Of(spec, options);
        var kernel =
            firecracker.KernelPath is { } configured && File.Exists(configured)
                ? configured
                : throw new SandboxStartException(
                    $"the microvm driver's firecracker backend has no guest kernel: {(firecracker.KernelPath is null ? "none is configured" : firecracker.KernelPath + " is missing")}"
                );
        string initrd;
        try
        {
            initrd = firecracker.InitrdPath
                ?? await VsockBootImage.EnsureAsync(
                    Path.Combine(options.CacheDirectory, "boot"),
                    options.BusyboxPath,
                    firecracker.SocatPath,
                    cancellationToken
                );
        }
        catch (IOException e)
        {
            throw new SandboxStartException($"cannot prepare the guest's initramfs: {e.Message}", e);
        }
        var image = await _images.GetAsync(spec, cancellationToken);
        var plan = TaskImages.Plan(image, spec);
        var baseDisk = await _images.BaseDiskAsync(spec, image, cancellationToken);

        var (scratch, files) = VsockBackend.CreateDirectories(spec);
        var layout = new FirecrackerLayout(scratch.Root);
        if (Encoding.UTF8.GetByteCount(layout.LongestSocket) > VmLayout.MaxSocketPath)
        {
            scratch.Delete();
            files.Delete();
            throw new SandboxStartException(
                $"the scratch root {spec.ScratchRoot} is too long for the VM's vsock sockets ({layout.LongestSocket})"
            );
        }
        VsockVmSandbox? sandbox = null;
        try
        {
            // Firecracker writes the disk in place: each task boots a copy (sparse, shared blocks where the filesystem
            // can).
            await Tool.CheckAsync(
                "cp",
                ["--sparse=always", "--reflink=auto", baseDisk, layout.RootDisk],
                cancellationToken
            );
            var argv = VmMonitor.Argv(
                _launcher.Options.ShellPath,
                files.StatusPath,
                layout.Log,
                [binary, "--api-sock", layout.ApiSocket]
            );
            var launch = new SandboxLaunch(
                argv,
                VmMonitor.Environment(spec.SandboxId, spec.ScratchRoot),
                scratch.Root,
                RootIsMonitor: true,
                scratch,
                Cgroup: null
            )
            {
                Files = files,
            };
            var startedAt = time.GetUtcNow();
            var clock = Stopwatch.StartNew();
            await _launcher.StartAsync(
                launch,
                monitor =>
                {
                    var identity = ProcessIdentity.Of(monitor.Pid) ?? new ProcessIdentity(monitor.Pid, -1);
                    var state = new VsockVmHandle(
                        spec.SandboxId,
                        BackendName,
                        startedAt,
                        files.Directory,
                        scratch.Root,
                        layout.VsockSocket,
                        new Dictionary<string, string>
                        {
                            [MonitorPid] = identity.Pid.ToString(CultureInfo.InvariantCulture),
                            [MonitorStartTime] = identity.StartTime.ToString(CultureInfo.InvariantCulture),
                        }
                    );
                    return sandbox = VsockVmSandbox.Attach(
                        state,
                        new FirecrackerVm(monitor, layout, firecracker.ShutdownGrace),
                        files,
                        output,
                        OutputCursor.Start,
                        _launcher.Options,
                        time
                    );
                },
                cancellationToken
            );
            var machine = new FirecrackerMachine(
                cpus,
                memory >> 20,
                kernel,
                initrd,
                FirecrackerMachine.DefaultBootArgs(firecracker.ExtraBootArgs),
                layout.RootDisk,
                layout.VsockSocket
            );
            await ConfigureAsync(machine, layout, sandbox!, cancellationToken);
            await sandbox!.SendTaskAsync(MicroVmDriver.TaskFrames(plan, spec), options.BootTimeout, cancellationToken);
            metrics.Booted(BackendName, clock.Elapsed, warm: false);
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
                scratch.Delete();
                files.Delete();
            }
            throw;
        }
    }

    /// <summary>
    /// Waits for the API socket, then configures and starts the VM; a refusal names Firecracker's fault message.
    /// </summary>
    private async Task ConfigureAsync(
        FirecrackerMachine machine,
        FirecrackerLayout layout,
        VsockVmSandbox sandbox,
        CancellationToken cancellationToken
    )
    {
        var deadline = time.GetUtcNow() + firecracker.ApiTimeout;
        while (!File.Exists(layout.ApiSocket))
        {
            if (sandbox.Ended)
                throw new SandboxStartException($"firecracker ended before serving its API: {Tail(layout.Log)}");
            if (time.GetUtcNow() > deadline)
                throw new SandboxStartException(
                    $"firecracker did not serve its API socket within {firecracker.ApiTimeout}: {Tail(layout.Log)}"
                );
            await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
        }
        using var api = new FirecrackerApiClient(layout.ApiSocket);
        await ApplyAsync(machine, api, cancellationToken);
    }

    /// <summary>
    /// Configures and starts a VM through <paramref name="api"/>; what Firecracker refuses fails the start with its
    /// fault message.
    /// </summary>
    internal static async Task ApplyAsync(
        FirecrackerMachine machine,
        FirecrackerApiClient api,
        CancellationToken cancellationToken
    )
    {
        try
        {
            await machine.BootAsync(api, cancellationToken);
        }
        catch (FirecrackerApiException e)
        {
            throw new SandboxStartException($"Firecracker refused the VM: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new SandboxStartException($"Firecracker's API on {api.SocketPath} failed: {e.Message}", e);
        }
    }

    public Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    )
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (state, monitor, files) = Open(handle);
        if (!monitor.IsAlive() && files.RecordedExitCode() is null)
            throw new SandboxRecoveryException($"VM {state.SandboxId} is gone and its monitor recorded no exit code");
        return Task.FromResult<ISandbox>(Adopt(state, monitor, files, output, from));
    }

    public async Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var (state, monitor, _) = Open(handle);
        var files = SandboxFiles.OpenOrMissing(state.StateDirectory);
        await using var sandbox = Adopt(state, monitor, files, NoOutput.Instance, files.End, listen: false);
    }

    private VsockVmSandbox Adopt(
        VsockVmHandle state,
        ProcessIdentity monitor,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        bool listen = true
    ) =>
        VsockVmSandbox.Attach(
            state,
            new FirecrackerVm(
                new AdoptedProcess(monitor, () => files.RecordedExitCode() ?? 137, time),
                new FirecrackerLayout(state.Scratch),
                firecracker.ShutdownGrace
            ),
            files,
            output,
            from,
            _launcher.Options,
            time,
            listen
        );

    private static (VsockVmHandle State, ProcessIdentity Monitor, SandboxFiles Files) Open(SandboxHandle handle)
    {
        var state = VsockVmHandle.From(handle, BackendName, MonitorPid, MonitorStartTime);
        if (
            !int.TryParse(state.Extra[MonitorPid], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(
                state.Extra[MonitorStartTime],
                NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture,
                out var start
            )
        )
            throw new SandboxRecoveryException($"the microvm handle of {handle.SandboxId} is malformed: its monitor");
        return (state, new ProcessIdentity(pid, start), SandboxFiles.OpenOrMissing(state.StateDirectory));
    }

    /// <summary>A path as given, or a name looked up on PATH; null when there is no such executable file.</summary>
    internal static string? Resolve(string program)
    {
        if (program.Contains('/'))
            return File.Exists(program) ? program : null;
        foreach (
            var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(
                ':',
                StringSplitOptions.RemoveEmptyEntries
            )
        )
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static string Tail(string path)
    {
        try
        {
            return string.Join(" / ", File.ReadAllLines(path).Where(l => l.Trim().Length > 0).TakeLast(4)).Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"Firecracker v?([0-9][^\s]*)")]
    private static partial Regex VersionPattern();
}
