namespace Hearth.Sandbox;

/// <summary>
/// A driver that keeps sandboxes ready ahead of their tasks (the microvm driver's warm pool). The agent starts it once
/// it owns its scratch root, keeps what it holds from the orphan reaper, and stops it (everything kept is destroyed)
/// when it stops.
/// </summary>
public interface IWarmingDriver
{
    /// <summary>Starts making what is configured, in the background; returns at once.</summary>
    void StartWarming();

    /// <summary>Destroys every sandbox kept and not given to a task, and waits for those being made.</summary>
    Task StopWarmingAsync();

    /// <summary>
    /// The ids of the sandboxes the driver holds outside of any task record (kept ready, or given to a task whose
    /// handle the agent has not stored yet): live for the orphan reaper.
    /// </summary>
    IReadOnlyCollection<string> KeptSandboxIds();

    /// <summary>
    /// Readies one more sandbox of this shape in the background (a hint from the server that such a task comes soon),
    /// within the driver's own limits; returns null when it began, else why not (no pool, the limit reached). The
    /// sandbox waits for the task like a configured pool's; nothing runs in it before.
    /// </summary>
    string? TryPrewarm(string image, int cpus, long memoryBytes, bool network) =>
        "this driver readies nothing on demand";
}
