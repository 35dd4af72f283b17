using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Running;

/// <summary>What a driver asks the launcher to run for one sandbox.</summary>
/// <param name="Argv">The program and its arguments, run after the process is in its cgroups.</param>
/// <param name="Environment">The program's whole environment (nothing is inherited from the agent).</param>
/// <param name="WorkingDirectory">Host directory the program starts in.</param>
/// <param name="RootIsMonitor">
/// The started program is a supervisor (bwrap) rather than the user's command: polite signals skip it and its direct
/// child (the pid namespace's init), because killing either tears the sandbox down without a grace period. It records
/// the command's exit in the status file (given to it as descriptor 3), so the sandbox can outlive the agent. </param>
internal sealed record SandboxLaunch(
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory,
    bool RootIsMonitor,
    ScratchDirectory Scratch,
    ICgroup? Cgroup
)
{
    /// <summary>The sandbox's records (set by the runtime before the launch).</summary>
    public SandboxFiles Files { get; init; } = null!;
}
