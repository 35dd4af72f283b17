namespace Hearth.Server.Api;

/// <summary>Times an agent reports, read on its own clock.</summary>
public static class AgentClock
{
    /// <summary>
    /// When a sandbox started: the agent's time, bounded to the last lease TTL. An agent reports a start within a short
    /// window (or with the result of a task that ended in it), so a skewed agent clock moves the start, and the timeout
    /// clock that begins with it, by at most a TTL; none reported means now.
    /// </summary>
    public static DateTimeOffset StartedAt(DateTimeOffset? reported, DateTimeOffset now, TimeSpan leaseTtl)
    {
        if (reported is not { } at || at > now)
            return now;
        var earliest = now - leaseTtl;
        return at < earliest ? earliest : at;
    }
}
