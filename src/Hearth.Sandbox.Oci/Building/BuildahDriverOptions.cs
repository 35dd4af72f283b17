namespace Hearth.Sandbox.Oci.Building;

/// <summary>How the buildah driver runs buildah (docs/services.md, "Builds").</summary>
public sealed record BuildahDriverOptions
{
    public string Buildah { get; init; } = "buildah";

    /// <summary>buildah's image store (<c>--root</c>), kept between builds: base images are pulled once.</summary>
    public string StorageRoot { get; init; } = "/var/lib/hearth/buildah";

    /// <summary>buildah's run-time state (<c>--runroot</c>).</summary>
    public string RunRoot { get; init; } = "/run/hearth/buildah";

    /// <summary>
    /// <c>overlay</c> (kernel overlayfs; works here) or <c>vfs</c> (a copy per layer: slower, works anywhere).
    /// </summary>
    public string StorageDriver { get; init; } = "overlay";

    /// <summary>
    /// How RUN steps are isolated: <c>oci</c> (a container made by <see cref="Runtime"/>: namespaces, cgroups,
    /// buildah's seccomp profile) or <c>chroot</c> (weaker: a chroot with buildah's own namespaces, no runtime needed).
    /// </summary>
    public string Isolation { get; init; } = "oci";

    /// <summary>
    /// The OCI runtime of <c>oci</c> isolation (runc works as installed on cgroup v1; see docs/oci.md for crun).
    /// </summary>
    public string Runtime { get; init; } = "runc";

    /// <summary>
    /// RUN steps' network: <c>bridge</c> (a network namespace of the build's own on the oci driver's bridge, with its
    /// masquerade: the outside world and the bridge are reachable, the agent's loopback is not), <c>none</c>, or
    /// <c>host</c> (the agent's own network, loopback included: only where the operator wants exactly that). buildah's
    /// own default (a CNI bridge) is not used: its podman network takes 10.88.0.0/16, the subnet of Hearth's bridge.
    /// </summary>
    public string Network { get; init; } = "bridge";
}
