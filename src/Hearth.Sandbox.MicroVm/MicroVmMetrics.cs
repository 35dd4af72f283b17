using System.Diagnostics.Metrics;

namespace Hearth.Sandbox.MicroVm;

/// <summary>The driver's metrics (meter <c>Hearth.Sandbox.MicroVm</c>): boot time per backend, cold or warm.</summary>
internal static class MicroVmMetrics
{
    private static readonly Meter Meter = new("Hearth.Sandbox.MicroVm");

    private static readonly Histogram<double> BootSeconds = Meter.CreateHistogram<double>("hearth_vm_boot_seconds", "s",
        "From QEMU's start until the guest runs the task's command");

    public static void Booted(string backend, TimeSpan elapsed) =>
        BootSeconds.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("backend", backend), new KeyValuePair<string, object?>("start", "cold"));
}
