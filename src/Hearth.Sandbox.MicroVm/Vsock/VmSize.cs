using System.Text.RegularExpressions;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// What the vsock backends check of a task before a VM is made, and its size, as the QEMU path has them.
/// </summary>
internal static partial class VmSize
{
    /// <summary>Whole vCPUs (1 to 32: Firecracker's range) and the memory in whole MiB.</summary>
    public static (int Cpus, long MemoryBytes) Of(SandboxSpec spec, MicroVmDriverOptions options)
    {
        if (!SandboxIdPattern().IsMatch(spec.SandboxId))
            throw new SandboxStartException($"sandbox id '{spec.SandboxId}' is not a valid VM name");
        if (string.IsNullOrEmpty(spec.Image))
            throw new SandboxStartException("the microvm driver needs an image");
        if (spec.Network || spec.Ports.Count > 0)
            throw new SandboxStartException("the microvm driver has no network yet: a VM runs without one");
        var memory = spec.Limits.MemoryBytes ?? options.DefaultMemoryBytes;
        if (memory < options.MinimumMemoryBytes)
            throw new SandboxStartException(
                $"a VM needs at least {options.MinimumMemoryBytes >> 20} MiB of memory, {memory >> 20} MiB asked"
            );
        return (
            (int)Math.Clamp(Math.Ceiling(spec.Limits.Cpus ?? 1), 1, 32),
            (memory + (1L << 20) - 1) & ~((1L << 20) - 1)
        );
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SandboxIdPattern();
}
