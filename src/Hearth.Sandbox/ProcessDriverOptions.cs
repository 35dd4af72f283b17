namespace Hearth.Sandbox;

public sealed class ProcessDriverOptions
{
    public LauncherOptions Launcher { get; init; } = new();

    public CgroupOptions Cgroups { get; init; } = new();
}
