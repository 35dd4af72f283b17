namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// What holds a VM and makes sure its end is recorded, so that it outlives the agent (as the oci driver's monitor
/// does): <c>/bin/sh</c>, in a session of its own with the sandbox's status file as descriptor 3, runs QEMU in the
/// foreground with QEMU's own messages going to a log in the scratch directory (the command's output comes over
/// virtio-serial ports straight into the sandbox's stdout and stderr files). The guest records its command's exit code
/// itself; a VM that ended without one (killed after the grace, crashed) gets <c>{"exit-code": 137}</c>, as a killed
/// process would.
/// </summary>
internal static class VmMonitor
{
    private const string Script =
        "status=$1; log=$2; shift 2; \"$@\" >\"$log\" 2>&1 </dev/null 3>&-; code=$?; "
        + "grep -q '\"exit-code\"' \"$status\" || echo '{\"exit-code\": 137}' >&3; exit $code";

    public static IReadOnlyList<string> Argv(
        string shell,
        string statusFile,
        string qemuLog,
        IReadOnlyList<string> qemuArgv
    ) => [shell, "-c", Script, "hearth-vm-monitor", statusFile, qemuLog, .. qemuArgv];

    /// <summary>
    /// PATH and the ownership marks (which QEMU inherits), so the orphan reaper finds both; nothing of the agent's.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(string sandboxId, string scratchRoot) =>
        new Dictionary<string, string>(Hearth.Sandbox.Reaping.SandboxMarks.Environment(sandboxId, scratchRoot))
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH")
                ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        };
}
