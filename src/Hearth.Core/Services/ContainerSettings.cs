namespace Hearth.Core.Services;

/// <summary>
/// How a replica's container runs beyond its image and command: compose's <c>cap_add</c>, <c>cap_drop</c>,
/// <c>sysctls</c>, <c>user</c>, <c>working_dir</c>, <c>read_only</c>, <c>stop_signal</c>, <c>stop_grace_period</c> and
/// <c>shm_size</c>, validated and normalised by <c>hearth up</c>. Null on a service that sets none of them, so the
/// definition hash of such a service is what it was before these keys were honoured.
/// </summary>
public sealed record ContainerSettings
{
    /// <summary>
    /// Capability names without <c>CAP_</c>, upper case, sorted; <c>ALL</c> for every one
    /// (<see cref="LinuxCapabilities"/>).
    /// </summary>
    public IReadOnlyList<string> CapAdd { get; init; } = [];

    public IReadOnlyList<string> CapDrop { get; init; } = [];

    /// <summary>Namespaced sysctls only (<see cref="NamespacedSysctls"/>), names with dots.</summary>
    public IReadOnlyDictionary<string, string> Sysctls { get; init; } =
        new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// <c>uid</c>, <c>uid:gid</c>, <c>name</c> or <c>name:group</c>, resolved against the image's /etc/passwd and
    /// /etc/group.
    /// </summary>
    public string? User { get; init; }

    /// <summary>An absolute path: the command's working directory instead of the image's.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>The root filesystem is mounted read-only (volumes, binds and tmpfs stay as they are).</summary>
    public bool ReadOnlyRoot { get; init; }

    /// <summary>
    /// The signal that asks the replica to stop (<c>SIGINT</c>, …; <see cref="StopSignals"/>); null: SIGTERM.
    /// </summary>
    public string? StopSignal { get; init; }

    /// <summary>
    /// How long the replica has after its stop signal before it is killed; null: the agent's <c>--kill-grace</c>.
    /// </summary>
    public TimeSpan? StopGracePeriod { get; init; }

    /// <summary>
    /// The size of the container's /dev/shm (a tmpfs); null: <see cref="DefaultShmSizeBytes"/>, as docker.
    /// </summary>
    public long? ShmSizeBytes { get; init; }

    /// <summary>Docker's default size of /dev/shm, 64 MiB.</summary>
    public const long DefaultShmSizeBytes = 64L << 20;

    /// <summary>
    /// What is wrong with settings that did not come through <c>hearth up</c> (the API takes any), or null.
    /// </summary>
    public string? Problem()
    {
        if (CapAdd.Concat(CapDrop).FirstOrDefault(c => LinuxCapabilities.Normalize(c) != c) is { } cap)
            return $"cap_add/cap_drop: '{cap}' is not a capability name (upper case, without CAP_, or ALL)";
        foreach (var name in Sysctls.Keys)
        {
            if (NamespacedSysctls.Refusal(name) is { } why)
                return $"sysctls.{name}: {why}";
        }
        if (StopSignal is { } signal && StopSignals.Normalize(signal) != signal)
            return $"stop_signal: '{signal}' is not a signal name";
        if (StopGracePeriod is { } grace && (grace < TimeSpan.Zero || grace > TimeSpan.FromHours(1)))
            return "stop_grace_period: must be between 0 and 1h";
        if (WorkingDir is { } dir && (!dir.StartsWith('/') || dir.Split('/').Contains("..")))
            return $"working_dir: '{dir}' is not an absolute path without '..'";
        if (ShmSizeBytes is <= 0)
            return $"shm_size: {ShmSizeBytes} is not a size in bytes above 0";
        return null;
    }
}
