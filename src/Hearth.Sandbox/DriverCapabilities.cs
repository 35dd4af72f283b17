namespace Hearth.Sandbox;

/// <summary>What a driver can honestly promise.</summary>
/// <param name="FilesystemIsolation">The command cannot see the host's files outside its binds.</param>
/// <param name="NetworkIsolation">The command has no network unless asked.</param>
/// <param name="ResourceLimits">CPU, memory and pids limits are enforced.</param>
/// <param name="Images">The driver runs OCI images.</param>
public sealed record DriverCapabilities(
    bool FilesystemIsolation,
    bool NetworkIsolation,
    bool ResourceLimits,
    bool Images);
