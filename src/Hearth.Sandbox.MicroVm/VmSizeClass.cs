using System.Globalization;
using System.Text.RegularExpressions;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// A VM's size: whole vCPUs and memory, written <c>2cpu-512mb</c> or <c>2cpu-4gb</c> (as GitLab job tags name them). A
/// warm pool keeps VMs per size class and image; a task fits a pooled VM when it asks for exactly this size.
/// </summary>
public sealed partial record VmSizeClass(int Cpus, long MemoryBytes)
{
    /// <summary>
    /// The size a task gets: <c>--cpus</c> rounded up to whole vCPUs, <c>--memory</c> or the default.
    /// </summary>
    public static VmSizeClass Of(ResourceLimits limits, long defaultMemoryBytes) =>
        new((int)Math.Clamp(Math.Ceiling(limits.Cpus ?? 1), 1, 64), limits.MemoryBytes ?? defaultMemoryBytes);

    public static VmSizeClass Parse(string text)
    {
        var match = Pattern().Match(text.Trim());
        if (!match.Success)
            throw new FormatException($"size class '{text}': expected vCPUs and memory such as 2cpu-512mb or 1cpu-4gb");
        var cpus = int.Parse(match.Groups["cpus"].Value, CultureInfo.InvariantCulture);
        var amount = long.Parse(match.Groups["memory"].Value, CultureInfo.InvariantCulture);
        var shift = match.Groups["unit"].Value.ToLowerInvariant() == "gb" ? 30 : 20;
        if (cpus is < 1 or > 64 || amount < 1 || amount > (1L << (50 - shift)))
            throw new FormatException($"size class '{text}': 1 to 64 vCPUs and a positive memory size");
        return new VmSizeClass(cpus, amount << shift);
    }

    public override string ToString()
    {
        var mib = MemoryBytes >> 20;
        var memory =
            mib % 1024 == 0
                ? (mib / 1024).ToString(CultureInfo.InvariantCulture) + "gb"
                : mib.ToString(CultureInfo.InvariantCulture) + "mb";
        return Cpus.ToString(CultureInfo.InvariantCulture) + "cpu-" + memory;
    }

    [GeneratedRegex(@"^(?<cpus>[0-9]{1,3})cpu-(?<memory>[0-9]{1,9})(?<unit>mb|gb)$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
