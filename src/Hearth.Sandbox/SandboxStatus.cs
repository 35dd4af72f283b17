namespace Hearth.Sandbox;

public enum SandboxPhase
{
    Running,
    Exited,
}

/// <summary>
/// Resource use read from the sandbox's cgroups (or /proc) where the driver can; null when it cannot.
/// </summary>
public sealed record SandboxUsage(long? MemoryBytes, TimeSpan? CpuTime, int? Processes);

/// <summary>What <see cref="ISandbox.InspectAsync"/> sees now.</summary>
/// <param name="Pid">Host pid of the sandbox's top process (or its monitor).</param>
/// <param name="Exit">Once exited: how.</param>
/// <param name="StdoutBytes">Bytes of stdout written so far (the end offset of its file).</param>
public sealed record SandboxStatus(
    SandboxPhase Phase,
    int Pid,
    DateTimeOffset StartedAt,
    DateTimeOffset? ExitedAt,
    SandboxExit? Exit,
    SandboxUsage? Usage,
    long StdoutBytes,
    long StderrBytes
);
