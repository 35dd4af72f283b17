namespace Hearth.Sandbox;

/// <summary>
/// A driver that keeps sandboxes ready ahead of their tasks (the microvm driver's warm pool). The agent starts it once it
/// owns its scratch root, keeps what it holds from the orphan reaper, and stops it (everything kept is destroyed) when
/// it stops.
/// </summary>
public interface IWarmingDriver
{
    /// <summary>Starts making what is configured, in the background; returns at once.</summary>
    void StartWarming();

    /// <summary>Destroys every sandbox kept and not given to a task, and waits for those being made.</summary>
    Task StopWarmingAsync();

    /// <summary>
    /// The ids of the sandboxes the driver holds outside of any task record (kept ready, or given to a task whose handle
    /// the agent has not stored yet): live for the orphan reaper.
    /// </summary>
    IReadOnlyCollection<string> KeptSandboxIds();
}
