using System.Globalization;
using System.Text.RegularExpressions;

namespace Hearth.Server.GitLab;

/// <summary>
/// Which job tags are Hearth's and the size they ask for: a tag starting with firecracker, microvm, firerunner or
/// actuated (as FireRunner took them), optionally with <c>-Ncpu-Mgb</c> or <c>-Ncpu-Mmb</c>
/// (<c>firecracker-4cpu-8gb</c>, <c>firecracker-2cpu-512mb</c>: the warm pools' size classes).
/// </summary>
public static partial class JobSize
{
    public static readonly IReadOnlyList<string> Prefixes = ["firecracker", "microvm", "firerunner", "actuated"];

    [GeneratedRegex(@"^-(?<cpu>[0-9]{1,4})cpu-(?<mem>[0-9]{1,6})(?<unit>gb|mb)$")]
    private static partial Regex SizePattern();

    public sealed record Size(int Cpus, long MemoryBytes);

    /// <summary>The prefix a tag starts with, or null when it is not a microVM tag.</summary>
    public static string? PrefixOf(string tag) =>
        Prefixes.FirstOrDefault(p => tag.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>The size a microVM tag asks for (null: none, the driver's default), or what is wrong with it.</summary>
    public static (Size? Size, string? Error) Parse(string tag, int maxCpus, long maxMemoryBytes)
    {
        var prefix = PrefixOf(tag) ?? throw new ArgumentException($"'{tag}' is not a microVM tag", nameof(tag));
        var rest = tag[prefix.Length..];
        if (rest.Length == 0)
            return (null, null);
        var match = SizePattern().Match(rest);
        if (!match.Success)
            return (
                null,
                $"tag '{tag}': expected {prefix} or {prefix}-<N>cpu-<M>gb (e.g. {prefix}-2cpu-4gb, {prefix}-2cpu-512mb)"
            );
        var cpus = int.Parse(match.Groups["cpu"].Value, CultureInfo.InvariantCulture);
        var amount = long.Parse(match.Groups["mem"].Value, CultureInfo.InvariantCulture);
        if (cpus < 1 || cpus > maxCpus)
            return (null, $"tag '{tag}': {cpus} CPUs is outside 1 to {maxCpus} (gitlab.max_cpus)");
        var megabytes = match.Groups["unit"].Value == "mb";
        var bytes = amount << (megabytes ? 20 : 30);
        if (amount < 1 || bytes > maxMemoryBytes)
            return (
                null,
                $"tag '{tag}': {amount} {(megabytes ? "MB" : "GB")} of memory is outside 1 to {maxMemoryBytes >> 30} GB "
                    + "(gitlab.max_memory_bytes)"
            );
        return (new Size(cpus, bytes), null);
    }
}
