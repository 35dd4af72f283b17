namespace Hearth.Sandbox;

/// <summary>Everything a driver needs to run one task. Drivers never see the store or the server.</summary>
public sealed record SandboxSpec
{
    /// <summary>Unique per attempt; used to name cgroups, scratch dirs and containers.</summary>
    public required string SandboxId { get; init; }

    /// <summary>argv; empty only for drivers that take the command from an image.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public ResourceLimits Limits { get; init; } = ResourceLimits.None;

    /// <summary>Image reference for drivers that run images (oci, microvm); null otherwise.</summary>
    public string? Image { get; init; }

    /// <summary>When the image's tag is resolved at its registry rather than taken from the local store.</summary>
    public ImagePullPolicy Pull { get; init; } = ImagePullPolicy.Missing;

    /// <summary>Gives the sandbox a network. Off by default: no network unless asked.</summary>
    public bool Network { get; init; }

    /// <summary>
    /// Host ports published into the sandbox; they need <see cref="Network"/>. Honoured by the oci driver;
    /// the process and bubblewrap drivers ignore them.
    /// </summary>
    public IReadOnlyList<PortMapping> Ports { get; init; } = [];

    /// <summary>
    /// Named networks the sandbox joins (a compose service replica's), in order: the first carries the default route
    /// and the published ports. Each gets its own bridge and subnet, made on first use and removed with its last
    /// sandbox. Non-empty takes the place of <see cref="Network"/> (the shared default bridge). Honoured by the oci
    /// driver.
    /// </summary>
    public IReadOnlyList<SandboxNetwork> Networks { get; init; } = [];

    /// <summary>
    /// A running sandbox of the same driver (its id) whose network namespace this one joins instead of having its own
    /// (compose's <c>network_mode: service:X</c>): the same interfaces and addresses, its /etc/hosts and
    /// /etc/resolv.conf; <see cref="Network"/>, <see cref="Networks"/> and <see cref="Ports"/> must be unset. Honoured
    /// by the oci driver.
    /// </summary>
    public string? NetworkOf { get; init; }

    /// <summary>
    /// A running sandbox of the same driver whose IPC namespace this one joins (compose's <c>ipc: service:X</c>): SysV
    /// IPC, POSIX message queues and its /dev/shm (POSIX shared memory), as docker's <c>--ipc container:X</c>. Honoured
    /// by the oci driver.
    /// </summary>
    public string? IpcOf { get; init; }

    /// <summary>
    /// The sandbox's host name (its own line in /etc/hosts); null: derived from <see cref="SandboxId"/>.
    /// </summary>
    public string? Hostname { get; init; }

    /// <summary>
    /// The sandbox's /etc/resolv.conf names its first named network's gateway, where the agent's embedded DNS answers
    /// service names (and forwards the rest), instead of the host's name servers.
    /// </summary>
    public bool GatewayDns { get; init; }

    /// <summary>
    /// Called once the named networks are set up and before the command starts, with the sandbox's address on each: the
    /// agent's DNS starts answering on their gateways here, so the command's first lookup finds it.
    /// </summary>
    public Func<IReadOnlyList<SandboxAddress>, CancellationToken, Task>? NetworksReady { get; init; }

    /// <summary>
    /// Host directories (binds, named volumes) and tmpfs mounted into the sandbox. Honoured by the oci driver.
    /// </summary>
    public IReadOnlyList<SandboxMount> Mounts { get; init; } = [];

    /// <summary>
    /// An image to build and push instead of a command to run: the buildah driver's only input; others ignore it.
    /// </summary>
    public Hearth.Core.Builds.ImageBuildSpec? Build { get; init; }

    /// <summary>
    /// Capabilities, sysctls, user, working directory and read-only root of a compose service's container. Honoured by
    /// the oci driver (which refuses capabilities its operator does not allow); the other drivers ignore it.
    /// </summary>
    public Hearth.Core.Services.ContainerSettings? Container { get; init; }

    /// <summary>Files written into the sandbox before its command starts (compose secrets and configs).</summary>
    public IReadOnlyList<SandboxFile> Files { get; init; } = [];

    /// <summary>
    /// Lines of Hearth's own about getting the sandbox ready (an image pull's progress), for the run's log; never part
    /// of the command's output. Null: nobody listens.
    /// </summary>
    public IProgress<string>? Status { get; init; }

    /// <summary>Host directory the driver may use for this sandbox's scratch space; removed on dispose.</summary>
    public required string ScratchRoot { get; init; }

    /// <summary>
    /// An existing host directory shared by several sandboxes of one task (a checkout phase, then the command): used as
    /// this sandbox's scratch directory instead of a fresh one, and kept on dispose. Null for a fresh scratch
    /// directory. The process and bubblewrap drivers honour it; the oci driver binds it into the container as the
    /// working directory (handed to the image's user) and keeps its own scratch directory; the microvm driver ignores
    /// it.
    /// </summary>
    public string? WorkspaceDirectory { get; init; }

    /// <summary>
    /// Host directory for this sandbox's own records, which outlive the agent: its stdout and stderr files and its exit
    /// status. Removed when the sandbox is destroyed. Null: &lt;ScratchRoot&gt;.state/&lt;SandboxId&gt;.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>Where the sandbox's records go (see <see cref="StateDirectory"/>).</summary>
    public string StateDirectoryOrDefault =>
        StateDirectory ?? Path.Combine(ScratchRoot.TrimEnd('/') + ".state", SandboxId);
}
