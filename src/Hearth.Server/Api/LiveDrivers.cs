using Hearth.Core.Api;
using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server.Api;

/// <summary>
/// What the drivers of the live agents can do, as they advertised it at registration (see
/// <see cref="AgentRecord.Drivers"/>): an agent is live when it was seen within a lease TTL plus a long poll.
/// </summary>
public sealed class LiveDrivers(IRunStore store, ServerOptions options, TimeProvider time)
{
    public async Task<IReadOnlyList<AgentDriverView>> ListAsync(CancellationToken ct)
    {
        var since = time.GetUtcNow() - options.LeaseTtl - options.LongPoll;
        return (await store.ListAgentsAsync(ct))
            .Where(a => a.LastSeenAt >= since)
            .SelectMany(a => a.DriverList)
            .ToList();
    }
}
