namespace Hearth.Core.Runs;

/// <summary>The ranges a run's numbers must fall in, shared by the API and the CLI.</summary>
public static class RunLimits
{
    /// <summary>
    /// 30 days: a longer timeout or lock wait is a mistake (1e12 seconds is past what a deadline holds).
    /// </summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(30);

    /// <summary>PID_MAX_LIMIT on 64-bit Linux: a pids.max above it means nothing.</summary>
    public const int MaxPids = 4 * 1024 * 1024;
}
