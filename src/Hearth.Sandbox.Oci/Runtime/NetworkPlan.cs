namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// What the runtime spec needs from a container's network: the namespace to join and the files to bind.
/// </summary>
/// <param name="Sysfs">
/// A sysfs mounted on the host for that namespace, bound at /sys instead of a fresh sysfs (which a user namespace
/// cannot mount for a network namespace it does not own); null for a fresh one.
/// </param>
internal sealed record NetworkPlan(string NamespacePath, string HostsFile, string ResolvConfFile, string? Sysfs = null);
