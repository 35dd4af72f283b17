namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>What the runtime spec needs from a container's network: the namespace to join and the files to bind.</summary>
internal sealed record NetworkPlan(string NamespacePath, string HostsFile, string ResolvConfFile);
