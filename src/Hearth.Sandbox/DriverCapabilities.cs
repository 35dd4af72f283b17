namespace Hearth.Sandbox;

/// <summary>How much of the host's filesystem a sandbox's command can see.</summary>
public enum FilesystemIsolation
{
    /// <summary>The host's files, as the agent's user sees them.</summary>
    None,

    /// <summary>A namespaced view of the host's /usr with a private scratch directory (bubblewrap).</summary>
    Namespaces,

    /// <summary>A root filesystem made from an OCI image.</summary>
    Image,

    /// <summary>A virtual machine with its own kernel and disk.</summary>
    Vm,
}

/// <summary>
/// What a driver can honestly promise, as data: the agent advertises it when it registers and the server checks a run
/// request against it (never against driver names).
/// </summary>
/// <param name="Filesystem">How far the command's view of files is isolated.</param>
/// <param name="NetworkModes">"none" (no network), "host" (the host's network), "bridge" (its own address on a
/// bridge).</param>
/// <param name="Ports">Host ports can be published into the sandbox.</param>
/// <param name="Signals">Any signal can be sent to the command (<see cref="ISandbox.SignalAsync"/>).</param>
/// <param name="Exec">Another command can run inside a running sandbox (<see cref="ISandbox.ExecAsync"/>).</param>
/// <param name="Recover">A sandbox survives the agent and is found again from its handle after a restart.</param>
/// <param name="Limits">The resource limits enforced here: any of "cpu", "memory", "pids".</param>
public sealed record DriverCapabilities(
    FilesystemIsolation Filesystem,
    IReadOnlyList<string> NetworkModes,
    bool Ports,
    bool Signals,
    bool Exec,
    bool Recover,
    IReadOnlyList<string> Limits
)
{
    /// <summary>The command cannot see the host's files outside what is bound in.</summary>
    public bool Isolates => Filesystem != FilesystemIsolation.None;

    /// <summary>The driver runs OCI images.</summary>
    public bool RunsImages => Filesystem is FilesystemIsolation.Image or FilesystemIsolation.Vm;

    /// <summary>The wire form the agent sends at registration.</summary>
    public Hearth.Core.Api.AgentDriverView ToView(string name, bool isDefault) =>
        new(
            name,
            Filesystem.ToString().ToLowerInvariant(),
            NetworkModes,
            Ports,
            Signals,
            Exec,
            Recover,
            Limits,
            isDefault
        );

    public bool Equals(DriverCapabilities? other) =>
        other is not null
        && Filesystem == other.Filesystem
        && NetworkModes.SequenceEqual(other.NetworkModes)
        && Ports == other.Ports
        && Signals == other.Signals
        && Exec == other.Exec
        && Recover == other.Recover
        && Limits.SequenceEqual(other.Limits);

    public override int GetHashCode() =>
        HashCode.Combine(Filesystem, Ports, Signals, Exec, Recover, NetworkModes.Count, Limits.Count);
}
