using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Running;

/// <summary>What the host-process drivers share: the launcher and the cgroup support found on this host.</summary>
internal sealed class HostRuntime
{
    private const int KeptScratchPerRoot = 32;

    private readonly Lazy<CgroupSupport> _cgroups;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IdleDirectories> _keptScratch = new(
        StringComparer.Ordinal
    );

    private readonly TimeProvider _time;

    public HostRuntime(LauncherOptions launcher, CgroupOptions cgroups, TimeProvider time)
    {
        _time = time;
        Launcher = new SandboxLauncher(launcher);
        _cgroups = new Lazy<CgroupSupport>(() => CgroupDetector.Detect(cgroups, time));
    }

    public SandboxLauncher Launcher { get; }

    public CgroupSupport Cgroups => _cgroups.Value;

    /// <summary>Why the launcher's own tools are missing, or null.</summary>
    public string? MissingTool()
    {
        var shell = Launcher.Options.ShellPath;
        return File.Exists(shell) ? null : $"{shell} is missing";
    }

    /// <summary>
    /// Creates the state directory, scratch directory and cgroups, lets <paramref name="prepare"/> build the launch,
    /// starts it, and undoes everything if any step fails or the start is cancelled.
    /// </summary>
    /// <param name="cgroupsOnlyForLimits">
    /// The driver holds the whole tree some other way (a pid namespace): cgroups are made only to enforce limits.
    /// Moving a process into a cgroup v1 waits for an RCU grace period (about 5 ms here), on the start's critical path.
    /// </param>
    public async Task<ISandbox> StartAsync(
        string driver,
        SandboxSpec spec,
        ISandboxOutput output,
        Func<ScratchDirectory, ICgroup?, SandboxLaunch> prepare,
        CancellationToken cancellationToken,
        bool cgroupsOnlyForLimits = false,
        Exec? exec = null
    )
    {
        if (spec.Command.Count == 0)
        {
            throw new SandboxStartException("the command is empty");
        }
        SandboxIds.Validate(spec.SandboxId);
        cancellationToken.ThrowIfCancellationRequested();

        var files = SandboxFiles.Create(spec.StateDirectoryOrDefault);
        ScratchDirectory? scratch = null;
        ICgroup? cgroup = null;
        try
        {
            scratch = spec.WorkspaceDirectory is { } workspace
                ? ScratchDirectory.Borrow(workspace)
                : ScratchDirectory.Create(spec.ScratchRoot, spec.SandboxId, KeptScratch(spec.ScratchRoot));
            cgroup = cgroupsOnlyForLimits && spec.Limits.IsEmpty ? null : Cgroups.Create(spec.SandboxId, spec.Limits);
            var launch = prepare(scratch, cgroup) with { Files = files };
            cancellationToken.ThrowIfCancellationRequested();
            var startedAt = _time.GetUtcNow();
            var sandbox = await Launcher
                .StartAsync(
                    launch,
                    process =>
                    {
                        // A process gone already has no start time to read; it is never recovered (its exit is known at
                        // once).
                        var identity = ProcessIdentity.Of(process.Pid) ?? new ProcessIdentity(process.Pid, -1);
                        var handle = new HostHandle(
                            identity,
                            startedAt,
                            files.Directory,
                            scratch.Root,
                            scratch.Owned,
                            launch.RootIsMonitor,
                            cgroup?.ByController ?? new Dictionary<string, string>()
                        ).ToHandle(driver, spec.SandboxId);
                        return new RunningSandbox(
                            process,
                            launch,
                            handle,
                            startedAt,
                            output,
                            OutputCursor.Start,
                            Launcher.Options,
                            _time,
                            exec
                        );
                    },
                    cancellationToken
                )
                .ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                await sandbox.DisposeAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }
            return sandbox;
        }
        catch
        {
            if (cgroup is not null)
            {
                await cgroup.DisposeAsync().ConfigureAwait(false);
            }
            scratch?.Delete();
            files.Delete();
            throw;
        }
    }

    /// <summary>Runs a command inside a running sandbox (a driver's exec).</summary>
    public delegate Task<SandboxExit> Exec(
        RunningSandbox sandbox,
        IReadOnlyList<string> command,
        ISandboxOutput output,
        CancellationToken ct
    );

    /// <summary>
    /// Finds a sandbox an earlier agent started from its handle: its top process (the same pid with the same start
    /// time) still running, or exited meanwhile with its exit code recorded by its monitor.
    /// </summary>
    public Task<ISandbox> RecoverAsync(
        string driver,
        SandboxHandle handle,
        ISandboxOutput output,
        OutputCursor from,
        CancellationToken cancellationToken,
        Exec? exec = null
    )
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = HostHandle.From(handle, driver);
        if (!state.RootIsMonitor)
            throw new SandboxRecoveryException(
                $"the {driver} driver cannot recover a sandbox: its command has no monitor to record how it ends"
            );
        var files = SandboxFiles.Open(state.StateDirectory);
        if (!state.Process.IsAlive() && files.RecordedExitCode() is null)
            throw new SandboxRecoveryException(
                $"sandbox {handle.SandboxId} is gone and its monitor recorded no exit code"
            );
        return Task.FromResult<ISandbox>(Adopt(state, handle, files, output, from, files.RecordedExitCode, exec));
    }

    /// <summary>
    /// Kills what is left of a sandbox an earlier agent started and removes everything it made. Idempotent.
    /// </summary>
    public async Task DestroyAsync(string driver, SandboxHandle handle, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var state = HostHandle.From(handle, driver);
        var files = SandboxFiles.OpenOrMissing(state.StateDirectory);
        await using var sandbox = Adopt(
            state,
            handle,
            files,
            NoOutput.Instance,
            files.End,
            () => files.RecordedExitCode() ?? 137,
            exec: null
        );
    }

    private RunningSandbox Adopt(
        HostHandle state,
        SandboxHandle handle,
        SandboxFiles files,
        ISandboxOutput output,
        OutputCursor from,
        Func<int?> exitCode,
        Exec? exec
    )
    {
        var cgroup = Cgroups.Reopen(state.Cgroups);
        var scratch = ScratchDirectory.Reopen(state.Scratch, state.ScratchOwned);
        var launch = new SandboxLaunch(
            [],
            new Dictionary<string, string>(),
            scratch.Root,
            state.RootIsMonitor,
            scratch,
            cgroup
        )
        {
            Files = files,
        };
        return new RunningSandbox(
            new AdoptedProcess(state.Process, exitCode, _time),
            launch,
            handle,
            state.StartedAt,
            output,
            from,
            Launcher.Options,
            _time,
            exec
        );
    }

    /// <summary>
    /// Emptied scratch directories of a root, kept for the next sandboxes (an agent makes one per task).
    /// </summary>
    private IdleDirectories? KeptScratch(string scratchRoot) =>
        Path.IsPathRooted(scratchRoot)
            ? _keptScratch.GetOrAdd(scratchRoot, root =>
                IdleDirectories.Adopt(root, KeptScratchPerRoot, noReplace: true, unused: kept =>
                    !Directory.EnumerateFileSystemEntries(kept).Any()
                )
            )
            : null;

    public Dictionary<string, string> BaseAttributes()
    {
        var attributes = new Dictionary<string, string>();
        Cgroups.Describe(attributes);
        return attributes;
    }
}
