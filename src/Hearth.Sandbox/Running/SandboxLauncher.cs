namespace Hearth.Sandbox.Running;

/// <summary>
/// Starts a sandbox's host process with posix_spawn in a new session, so its pid is its session and process-group id,
/// and inside the sandbox's cgroups before it can fork:
/// <list type="bullet">
/// <item>cgroup v1: the spawner thread joins the cgroups, spawns ARGV, and goes back
/// (<see cref="Cgroups.ICgroup.JoinCallingThread"/>).</item>
/// <item>cgroup v2 (a thread cannot join a domain cgroup alone, and glibc here has no spawn-into-cgroup): ARGV starts
/// as <c>sh -c 'read -r _ || exit 125; exec "$@" &lt;/dev/null' hearth-sandbox ARGV...</c>, the shell blocking on its
/// stdin (the "gate") until the agent has written its pid into the cgroup, then exec'ing ARGV in place (same pid).
/// If the agent dies first, the gate reads EOF and the shell exits without running anything.</item>
/// <item>No cgroups (the driver holds the tree in a pid namespace, or the host has none): ARGV directly.</item>
/// </list>
/// </summary>
internal sealed class SandboxLauncher(LauncherOptions options)
{
    private const string GateScript = "read -r _ || exit 125; exec \"$@\" </dev/null";

    private readonly SpawnerThread _spawner = new();

    public LauncherOptions Options => options;

    /// <summary>
    /// Spawns the launch; <paramref name="started"/> makes the sandbox around the process once it runs.
    /// </summary>
    public async Task<ISandbox> StartAsync(
        SandboxLaunch launch,
        Func<SpawnedProcess, ISandbox> started,
        CancellationToken cancellationToken
    )
    {
        var (process, gated) = await _spawner
            .RunAsync(() => SpawnWithFiles(launch), cancellationToken)
            .ConfigureAwait(false);
        if (gated)
        {
            try
            {
                launch.Cgroup!.Enter(process.Pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Native.Kill(process.Pid, Native.SigKill);
                await process.Exited.ConfigureAwait(false);
                process.Dispose();
                throw new SandboxStartException($"cannot move the sandbox into its cgroups: {e.Message}", e);
            }
        }

        var sandbox = started(process);
        // False when the gate's shell is gone already (its exit is reported like any other), or there is no gate.
        process.OpenGate();
        return sandbox;
    }

    /// <summary>Runs on the spawner thread: the command's descriptors are open only around the spawn.</summary>
    private (SpawnedProcess Process, bool Gated) SpawnWithFiles(SandboxLaunch launch)
    {
        var fds = new List<int>();
        try
        {
            var stdout = Opened(fds, launch.Files.PathOf(OutputStream.Stdout));
            var stderr = Opened(fds, launch.Files.PathOf(OutputStream.Stderr));
            var status = launch.RootIsMonitor ? Opened(fds, launch.Files.StatusPath) : -1;
            return Spawn(launch, stdout, stderr, status);
        }
        finally
        {
            foreach (var fd in fds)
                Native.Close(fd);
        }
    }

    private static int Opened(List<int> fds, string path)
    {
        var fd = SandboxFiles.OpenForChild(path);
        fds.Add(fd);
        return fd;
    }

    private (SpawnedProcess Process, bool Gated) Spawn(SandboxLaunch launch, int stdout, int stderr, int status)
    {
        // The reaper's signal thread starts here, in the agent's own cgroups: started during a join, it would stay in
        // the sandbox's.
        ChildReaper.EnsureRegistered();
        if (launch.Cgroup is { ThreadsCanJoin: false })
        {
            IReadOnlyList<string> gate = [options.ShellPath, "-c", GateScript, "hearth-sandbox", .. launch.Argv];
            return (
                SpawnedProcess.Start(
                    options.ShellPath,
                    gate,
                    launch.Environment,
                    launch.WorkingDirectory,
                    gated: true,
                    stdout,
                    stderr,
                    status
                ),
                true
            );
        }
        var cgroup = launch.Cgroup;
        return (
            SpawnedProcess.Start(
                launch.Argv[0],
                launch.Argv,
                launch.Environment,
                launch.WorkingDirectory,
                gated: false,
                stdout,
                stderr,
                status,
                cgroup is null ? null : () => Join(cgroup)
            ),
            false
        );
    }

    private static IDisposable? Join(Cgroups.ICgroup cgroup)
    {
        try
        {
            return cgroup.JoinCallingThread();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot move the sandbox into its cgroups: {e.Message}", e);
        }
    }
}
