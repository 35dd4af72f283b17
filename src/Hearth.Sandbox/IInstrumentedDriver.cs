using System.Diagnostics.Metrics;

namespace Hearth.Sandbox;

/// <summary>
/// A driver with instruments of its own, which it creates on the agent's meter (exported at the agent's /metrics).
/// </summary>
public interface IInstrumentedDriver
{
    void AddInstruments(Meter meter);
}
