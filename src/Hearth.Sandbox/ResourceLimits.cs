namespace Hearth.Sandbox;

/// <summary>Limits enforced through cgroups. Null means "no limit".</summary>
public sealed record ResourceLimits(double? Cpus = null, long? MemoryBytes = null, int? Pids = null)
{
    public static ResourceLimits None { get; } = new();

    public bool IsEmpty => Cpus is null && MemoryBytes is null && Pids is null;
}
