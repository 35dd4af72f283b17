namespace Hearth.Sandbox.Oci.Networking;

/// <summary>One address in use: which sandbox holds it, its network namespace and its published ports.</summary>
internal sealed record Allocation(string Address, string SandboxId, string Namespace, IReadOnlyList<PortMapping> Ports);
