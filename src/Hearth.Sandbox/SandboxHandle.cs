namespace Hearth.Sandbox;

/// <summary>
/// Enough to find a sandbox again after the agent that started it is gone: the driver's name and the driver's own
/// state (pids with their start times, container id, cgroup and mount paths, the output files…). Small and
/// serialisable; the agent writes it to its state directory before it reports the task running, and hands it back to
/// <see cref="ISandboxDriver.RecoverAsync"/> or <see cref="ISandboxDriver.DestroyAsync"/> after a restart.
/// </summary>
/// <param name="Version">Of the state's layout, so that a newer agent can refuse a handle it does not
/// understand.</param>
public sealed record SandboxHandle(
    string Driver,
    string SandboxId,
    int Version,
    IReadOnlyDictionary<string, string> State
)
{
    public string Require(string key) =>
        State.TryGetValue(key, out var value)
            ? value
            : throw new SandboxRecoveryException($"the {Driver} handle of {SandboxId} has no '{key}'");

    public string? Optional(string key) => State.GetValueOrDefault(key);
}
