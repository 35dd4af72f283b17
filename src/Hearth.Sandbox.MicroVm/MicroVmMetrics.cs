using System.Diagnostics.Metrics;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// One driver's VM metrics, on the meters it is given (the agent's: <see cref="IInstrumentedDriver"/>):
/// <c>hearth_vms_active</c> (VMs running now, by backend: tasks' and warm pools'), <c>hearth_vm_boot_seconds</c> (how
/// long a task waited for its VM to run its command, by backend and start: <c>cold</c> or <c>warm</c>) and
/// <c>hearth_vm_pool_size</c> (VMs waiting in warm pools, by size class).
/// </summary>
internal sealed class MicroVmMetrics
{
    private static readonly IReadOnlyList<double> SecondsBuckets =
    [
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
        10,
        20,
        30,
        60,
        120,
        300,
    ];

    private readonly List<Histogram<double>> _boot = [];
    private readonly Func<IReadOnlyDictionary<string, int>> _active;
    private readonly Func<IReadOnlyDictionary<string, int>> _pooled;

    /// <param name="active">VMs running now by backend.</param>
    /// <param name="pooled">VMs waiting in warm pools by size class.</param>
    public MicroVmMetrics(Func<IReadOnlyDictionary<string, int>> active, Func<IReadOnlyDictionary<string, int>> pooled)
    {
        _active = active;
        _pooled = pooled;
    }

    public void AddTo(Meter meter)
    {
        var boot = meter.CreateHistogram(
            "hearth_vm_boot_seconds",
            unit: "s",
            description: "How long a task waited for its VM to run its command, by backend and start (cold: booted for it; warm: taken from a pool).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets }
        );
        lock (_boot)
            _boot.Add(boot);
        meter.CreateObservableGauge(
            "hearth_vms_active",
            () => Measure(_active(), "backend"),
            description: "MicroVMs running now (tasks' and warm pools'), by backend."
        );
        meter.CreateObservableGauge(
            "hearth_vm_pool_size",
            () => Measure(_pooled(), "size_class"),
            description: "MicroVMs booted and waiting in warm pools, by size class."
        );
    }

    public void Booted(string backend, TimeSpan elapsed, bool warm)
    {
        Histogram<double>[] boot;
        lock (_boot)
            boot = [.. _boot];
        foreach (var histogram in boot)
            histogram.Record(
                elapsed.TotalSeconds,
                new KeyValuePair<string, object?>("backend", backend),
                new KeyValuePair<string, object?>("start", warm ? "warm" : "cold")
            );
    }

    private static IEnumerable<Measurement<int>> Measure(IReadOnlyDictionary<string, int> counts, string label) =>
        counts.Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>(label, c.Key))).ToList();
}
