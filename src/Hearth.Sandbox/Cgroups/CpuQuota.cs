namespace Hearth.Sandbox.Cgroups;

internal static class CpuQuota
{
    /// <summary>CFS quota and period in microseconds for <paramref name="cpus"/> CPUs.</summary>
    public static (long QuotaMicros, long PeriodMicros) Compute(double cpus, TimeSpan period)
    {
        if (!double.IsFinite(cpus) || cpus <= 0)
        {
            throw new SandboxStartException($"a CPU limit must be a positive number, not {cpus}");
        }
        var periodMicros = (long)period.TotalMicroseconds;
        // The kernel refuses quotas under 1 ms.
        var quota = Math.Max(1000, (long)Math.Round(cpus * periodMicros));
        return (quota, periodMicros);
    }
}
