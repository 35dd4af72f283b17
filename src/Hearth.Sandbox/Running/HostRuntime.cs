using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Running;

/// <summary>What the host-process drivers share: the launcher and the cgroup support found on this host.</summary>
internal sealed class HostRuntime
{
    private const int KeptScratchPerRoot = 32;

    private readonly Lazy<CgroupSupport> _cgroups;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IdleDirectories> _keptScratch = new(StringComparer.Ordinal);

    public HostRuntime(LauncherOptions launcher, CgroupOptions cgroups, TimeProvider time)
    {
        Launcher = new SandboxLauncher(launcher, time);
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
    /// Creates the scratch directory and cgroups, lets <paramref name="prepare"/> build the launch, starts it,
    /// and undoes everything if any step fails.
    /// </summary>
    /// <param name="cgroupsOnlyForLimits">
    /// The driver holds the whole tree some other way (a pid namespace): cgroups are made only to enforce limits.
    /// Moving a process into a cgroup v1 waits for an RCU grace period (about 5 ms here), on the start's critical path.
    /// </param>
    public async Task<ISandbox> StartAsync(
        SandboxSpec spec,
        ISandboxOutput output,
        Func<ScratchDirectory, ICgroup?, SandboxLaunch> prepare,
        CancellationToken cancellationToken,
        bool cgroupsOnlyForLimits = false)
    {
        if (spec.Command.Count == 0)
        {
            throw new SandboxStartException("the command is empty");
        }
        SandboxIds.Validate(spec.SandboxId);
        cancellationToken.ThrowIfCancellationRequested();

        var scratch = spec.WorkspaceDirectory is { } workspace
            ? ScratchDirectory.Borrow(workspace)
            : ScratchDirectory.Create(spec.ScratchRoot, spec.SandboxId, KeptScratch(spec.ScratchRoot));
        ICgroup? cgroup = null;
        try
        {
            cgroup = cgroupsOnlyForLimits && spec.Limits.IsEmpty ? null : Cgroups.Create(spec.SandboxId, spec.Limits);
            var launch = prepare(scratch, cgroup);
            cancellationToken.ThrowIfCancellationRequested();
            return await Launcher.StartAsync(launch, output, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (cgroup is not null)
            {
                await cgroup.DisposeAsync().ConfigureAwait(false);
            }
            scratch.Delete();
            throw;
        }
    }

    /// <summary>Emptied scratch directories of a root, kept for the next sandboxes (an agent makes one per task).</summary>
    private IdleDirectories? KeptScratch(string scratchRoot) =>
        Path.IsPathRooted(scratchRoot) ? _keptScratch.GetOrAdd(scratchRoot, root => IdleDirectories.Adopt(root, KeptScratchPerRoot, noReplace: true,
            unused: kept => !Directory.EnumerateFileSystemEntries(kept).Any())) : null;

    public Dictionary<string, string> BaseAttributes()
    {
        var attributes = new Dictionary<string, string>();
        Cgroups.Describe(attributes);
        return attributes;
    }
}
