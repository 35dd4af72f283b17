namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// What holds a container and records how it ended, so that it outlives the agent: <c>/bin/sh</c>, started in a session
/// of its own with the sandbox's output files as its stdout and stderr and the status file as descriptor 3, runs
/// <c>RUNTIME run</c> in the foreground (the runtime passes those descriptors on to the container: no pipe, no process
/// of the agent's in between), then appends <c>{"exit-code": N}</c> to the status file and exits with N.
/// A shell costs about a millisecond; a monitor of Hearth's own (a Native AOT binary) would cost more than ten.
/// </summary>
internal static class OciMonitor
{
    /// <summary>The runtime does not get descriptor 3: only the monitor writes the status.</summary>
    private const string Script = "\"$@\" 3>&-; code=$?; echo \"{\\\"exit-code\\\": $code}\" >&3; exit $code";

    /// <summary>The monitor's argv, ending in the runtime's.</summary>
    public static IReadOnlyList<string> Argv(string shell, IReadOnlyList<string> runtimeArgv) =>
        [shell, "-c", Script, "hearth-oci-monitor", .. runtimeArgv];

    /// <summary>
    /// The monitor's whole environment: PATH (to find the runtime and what it runs) and the ownership marks, so that an
    /// agent's death does not leave it unfound by the orphan reaper. Nothing else of the agent's (its token) is passed.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Environment(string sandboxId, string scratchRoot)
    {
        var environment = new Dictionary<string, string>(
            Hearth.Sandbox.Reaping.SandboxMarks.Environment(sandboxId, scratchRoot)
        )
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH")
                ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        };
        return environment;
    }
}
