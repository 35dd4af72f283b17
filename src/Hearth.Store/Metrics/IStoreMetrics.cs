using Hearth.Core.Runs;

namespace Hearth.Store.Metrics;

/// <summary>
/// What the server's /metrics reads from the database at each scrape: totals that every server sharing the database
/// sees alike (runs and tasks by final state, retries, the queue, locks) and the work that ended in a window, for the
/// histograms. Reads only; a store that keeps no such tables does not implement it.
/// </summary>
public interface IStoreMetrics
{
    Task<MetricsSample> SampleMetricsAsync(
        DateTimeOffset endedAfter,
        DateTimeOffset endedUpTo,
        DateTimeOffset now,
        CancellationToken ct
    );
}

/// <param name="Runs">Runs by kind and state (every state; the caller keeps the final ones).</param>
/// <param name="Tasks">Tasks by kind and state.</param>
/// <param name="Retries">Attempts after the first, by task kind, over every task ever queued.</param>
/// <param name="Queue">Pending tasks by the labels they require.</param>
/// <param name="Running">Leased or running tasks by the driver they asked for ("any" when none).</param>
/// <param name="EndedTasks">Tasks whose result was stored in the window (ended_at), with their timings.</param>
/// <param name="EndedRuns">Runs that ended in the window.</param>
/// <param name="Locks">Each lock that is held or waited for.</param>
public sealed record MetricsSample(
    IReadOnlyList<StateCount> Runs,
    IReadOnlyList<StateCount> Tasks,
    IReadOnlyDictionary<string, long> Retries,
    IReadOnlyList<QueueCount> Queue,
    IReadOnlyDictionary<string, long> Running,
    IReadOnlyList<RunTask> EndedTasks,
    IReadOnlyList<Run> EndedRuns,
    IReadOnlyList<LockSample> Locks
);

public sealed record StateCount(string Kind, string State, long Count);

/// <param name="Requirements">The labels, k=v sorted and comma-separated ("" for none).</param>
/// <param name="Labels">The same labels as a map.</param>
public sealed record QueueCount(string Requirements, IReadOnlyDictionary<string, string> Labels, long Count);

/// <param name="HeldFor">How long its holder has held it; null when free.</param>
/// <param name="OldestWait">How long its first waiter has waited; null when nobody waits.</param>
public sealed record LockSample(string Name, TimeSpan? HeldFor, int Waiters, TimeSpan? OldestWait);
