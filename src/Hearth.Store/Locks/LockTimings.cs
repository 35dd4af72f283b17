using System.Diagnostics.Metrics;

namespace Hearth.Store.Locks;

/// <summary>
/// How long tasks waited for a lock and held it, recorded where the store grants and frees locks
/// (<see cref="LockSql"/>), in the process that made the change. The server exports the meter (<see cref="MeterName"/>)
/// with its own.
/// </summary>
public static class LockTimings
{
    public const string MeterName = "Hearth.Store.Locks";

    private static readonly double[] Buckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200];

    // A Meter is meant to be one per process and library: instruments are shared by every store in the process.
    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Wait = Meter.CreateHistogram(
        "hearth_lock_wait_seconds",
        unit: "s",
        description: "How long a task waited in a lock's queue before it was granted the lock (0 when the lock was free).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets }
    );

    private static readonly Histogram<double> Hold = Meter.CreateHistogram(
        "hearth_lock_hold_seconds",
        unit: "s",
        description: "How long a lock was held: from its grant to its release (run ended, forced, or lease expired).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets }
    );

    internal static void Granted(string name, TimeSpan waited) =>
        Wait.Record(Math.Max(0, waited.TotalSeconds), new KeyValuePair<string, object?>("lock", name));

    internal static void Released(string name, TimeSpan held) =>
        Hold.Record(Math.Max(0, held.TotalSeconds), new KeyValuePair<string, object?>("lock", name));
}
