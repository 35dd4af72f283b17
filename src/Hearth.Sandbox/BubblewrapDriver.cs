using Hearth.Sandbox.Bubblewrap;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox;

/// <summary>
/// Runs the command under bubblewrap: new user (optional), pid, ipc, uts, cgroup and (unless the spec asks for a
/// network) net namespaces; read-only /usr; generated /etc; fresh /proc, /dev and /tmp; the scratch directory as
/// the only writable host path. Limits come from cgroups, as for <see cref="ProcessDriver"/>; without limits there are
/// none, as the pid namespace already holds the whole tree (its init dies with bwrap, and the kernel kills the rest).
/// </summary>
public sealed class BubblewrapDriver : ISandboxDriver
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    private readonly BubblewrapDriverOptions _options;
    private readonly HostRuntime _host;

    public BubblewrapDriver(BubblewrapDriverOptions? options = null, TimeProvider? time = null)
    {
        _options = options ?? new BubblewrapDriverOptions();
        if (!_options.WorkingDirectory.StartsWith('/') || _options.WorkingDirectory == "/")
        {
            throw new ArgumentException(
                "the sandbox's working directory must be an absolute path below /",
                nameof(options)
            );
        }
        _host = new HostRuntime(_options.Launcher, _options.Cgroups, time ?? TimeProvider.System);
    }

    public string Name => "bubblewrap";

    public DriverCapabilities Capabilities =>
        new(
            FilesystemIsolation.Namespaces,
            NetworkModes: ["none", "host"],
            Ports: false,
            Signals: true,
            Exec: true,
            Recover: true,
            Limits: _host.Cgroups.EnforcedLimits
        );

    /// <summary>
    /// Finds bwrap, reads its version and runs `true` in a sandbox built the way StartAsync builds one.
    /// </summary>
    public DriverFingerprint Fingerprint()
    {
        if (_host.MissingTool() is { } missing)
        {
            return DriverFingerprint.Unhealthy(missing);
        }
        if (BubblewrapBinary.Locate(_options.BwrapPath) is not { } bwrap)
        {
            return DriverFingerprint.Unhealthy($"{_options.BwrapPath} not found (apt-get install bubblewrap)");
        }
        var (versionExit, versionText) = BubblewrapBinary.Run(bwrap, ["--version"], ProbeTimeout);
        if (versionExit != 0)
        {
            return DriverFingerprint.Unhealthy($"{bwrap} --version failed: {versionText}");
        }

        var probeRoot = Path.Combine(Path.GetTempPath(), $"hearth-bwrap-probe-{Guid.NewGuid():N}");
        try
        {
            var etc = Directory.CreateDirectory(Path.Combine(probeRoot, "etc")).FullName;
            var work = Directory.CreateDirectory(Path.Combine(probeRoot, "work")).FullName;
            EtcFiles.Write(etc, _options, network: false);
            var args = BubblewrapArguments.Build(
                bwrap,
                _options,
                network: false,
                work,
                etc,
                ["true"],
                recordStatus: false
            );
            var (probeExit, probeText) = BubblewrapBinary.Run(bwrap, args.Skip(1), ProbeTimeout);
            if (probeExit != 0)
            {
                return DriverFingerprint.Unhealthy($"bwrap cannot create a sandbox here: {probeText}");
            }
        }
        finally
        {
            Directory.Delete(probeRoot, recursive: true);
        }

        var attributes = _host.BaseAttributes();
        attributes["driver.bubblewrap"] = versionText.Split(' ').Last();
        return new DriverFingerprint(true, null, attributes);
    }

    /// <summary>
    /// The subdirectory of a sandbox's scratch (or workspace) directory that its command sees as its working directory.
    /// </summary>
    public const string WorkSubdirectory = "work";

    public Task<ISandbox> StartAsync(SandboxSpec spec, ISandboxOutput output, CancellationToken cancellationToken)
    {
        var bwrap = BubblewrapBinary.Locate(_options.BwrapPath)
            ?? throw new SandboxStartException($"{_options.BwrapPath} not found (apt-get install bubblewrap)");
        return _host.StartAsync(
            Name,
            spec,
            output,
            (scratch, cgroup) =>
            {
                var etc = scratch.Subdirectory("etc");
                var work = scratch.Subdirectory(WorkSubdirectory);
                EtcFiles.Write(etc, _options, spec.Network);
                var environment = SandboxEnvironment.Build(spec, _options.WorkingDirectory);
                return new SandboxLaunch(
                    BubblewrapArguments.Build(bwrap, _options, spec.Network, work, etc, spec.Command),
                    environment,
                    work,
                    RootIsMonitor: true,
                    scratch,
                    cgroup
                );
            },
            cancellationToken,
            cgroupsOnlyForLimits: true,
            exec: ExecAsync
        );
    }

    public Task<ISandbox> RecoverAsync(
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken
    ) => _host.RecoverAsync(Name, handle, output, from, cancellationToken, ExecAsync);

    public Task DestroyAsync(SandboxHandle handle, CancellationToken cancellationToken) =>
        _host.DestroyAsync(Name, handle, cancellationToken);

    /// <summary>
    /// nsenter into the namespaces of the sandbox's init (bwrap's child-pid), with its root and working directory
    /// (nsenter reads both from the init: a path given to --wd would be opened on the host), and an environment of its
    /// own (PATH and HOME only: the task's variables, secrets among them, are not kept anywhere).
    /// </summary>
    private Task<SandboxExit> ExecAsync(
        RunningSandbox sandbox,
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken ct
    )
    {
        var init = sandbox.Files.RecordedChildPid()
            ?? throw new SandboxCapabilityException(
                $"sandbox {sandbox.Handle.SandboxId} has not recorded its init's pid"
            );
        IReadOnlyList<string> argv =
        [
            "nsenter",
            $"--target={init}",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--pid",
            .. _options.UserNamespace ? new[] { "--user", "--preserve-credentials" } : [],
            "--root",
            "--wd",
            "--",
            .. command,
        ];
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = SandboxEnvironment.DefaultPath,
            ["HOME"] = _options.WorkingDirectory,
        };
        return HostExec.RunAsync(argv, environment, output, _host.Launcher.Options.MaxLineBytes, ct);
    }
}
