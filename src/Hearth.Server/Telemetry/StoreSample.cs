using Hearth.Store.Metrics;

namespace Hearth.Server.Telemetry;

/// <summary>One scrape's reading of the store, as the observable instruments report it.</summary>
internal sealed record StoreSample(
    IReadOnlyList<StateCount> Runs,
    IReadOnlyList<StateCount> Tasks,
    IReadOnlyDictionary<string, long> Retries,
    IReadOnlyList<QueueSample> Queue,
    IReadOnlyDictionary<string, long> Agents,
    IReadOnlyDictionary<string, long> Running,
    IReadOnlyList<LockSample> Locks
)
{
    public static StoreSample Empty { get; } =
        new(
            [],
            [],
            new Dictionary<string, long>(),
            [],
            new Dictionary<string, long>(),
            new Dictionary<string, long>(),
            []
        );
}

/// <param name="MatchingAgents">Online agents whose labels satisfy <paramref name="Requirements"/>.</param>
internal sealed record QueueSample(string Requirements, long Count, long MatchingAgents);
