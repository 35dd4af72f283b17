namespace Hearth.Sandbox;

public sealed class BubblewrapDriverOptions
{
    /// <summary>The bwrap binary; a bare name is looked up on the agent's PATH.</summary>
    public string BwrapPath { get; init; } = "bwrap";

    public string Hostname { get; init; } = "sandbox";

    /// <summary>Where the scratch directory appears inside the sandbox; also the working directory and HOME.</summary>
    public string WorkingDirectory { get; init; } = "/sandbox";

    /// <summary>
    /// Run the command in a new user namespace as <see cref="Uid"/>/<see cref="Gid"/> with no capabilities.
    /// Without it, an agent running as root would give the command every capability (including mount).
    /// </summary>
    public bool UserNamespace { get; init; } = true;

    public int Uid { get; init; } = 1000;

    public int Gid { get; init; } = 1000;

    public LauncherOptions Launcher { get; init; } = new();

    public CgroupOptions Cgroups { get; init; } = new();
}
