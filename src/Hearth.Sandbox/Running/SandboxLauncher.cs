using System.ComponentModel;
using System.Diagnostics;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Starts a sandbox's host process. .NET's Process cannot create a session or join a cgroup between fork and
/// exec, so the child is started as
/// <c>sh -c 'read -r _ || exit 125; exec "$@" &lt;/dev/null' hearth-sandbox setsid -- ARGV...</c>:
/// the shell blocks on its stdin (the "gate") until the agent has written the child's pid into the sandbox's
/// cgroups, then execs setsid, which (the child not being a group leader) calls setsid(2) in place and execs
/// ARGV. The pid stays the same through both execs, so it is the session and process-group id, and nothing the
/// command forks can start before it is inside the cgroups. If the agent dies first, the gate reads EOF and the
/// shell exits without running anything.
/// </summary>
internal sealed class SandboxLauncher(LauncherOptions options, TimeProvider time)
{
    private const string GateScript = "read -r _ || exit 125; exec \"$@\" </dev/null";

    private readonly SpawnerThread _spawner = new();

    public LauncherOptions Options => options;

    public async Task<ISandbox> StartAsync(SandboxLaunch launch, ISandboxOutput output, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(options.ShellPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = launch.WorkingDirectory,
        };
        foreach (var arg in (string[])["-c", GateScript, "hearth-sandbox", options.SetsidPath, "--", .. launch.Argv])
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment.Clear();
        foreach (var (key, value) in launch.Environment)
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = await _spawner.RunAsync(() => Process.Start(info), cancellationToken).ConfigureAwait(false)
                      ?? throw new SandboxStartException($"{options.ShellPath} did not start");
        }
        catch (Win32Exception e)
        {
            throw new SandboxStartException($"cannot start {options.ShellPath}: {e.Message}", e);
        }

        try
        {
            launch.Cgroup?.Enter(process.Id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
            throw new SandboxStartException($"cannot move the sandbox into its cgroups: {e.Message}", e);
        }

        var sandbox = new RunningSandbox(process, launch, output, options, time);
        try
        {
            process.StandardInput.Write("go\n");
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The gate's shell is gone already; its exit is reported like any other.
        }
        return sandbox;
    }
}
