namespace Hearth.Sandbox;

/// <summary>
/// A named network a sandbox joins. <paramref name="Name"/> is unique on the host (an agent scopes a compose network by
/// its project: <c>PROJECT_NETWORK</c>); every sandbox naming it shares one bridge and subnet.
/// </summary>
/// <param name="Subnet">A declared IPv4 subnet (CIDR) the network's bridge must use; null: one from the driver's
/// range.</param>
/// <param name="Address">The sandbox's fixed address on it, inside <paramref name="Subnet"/>; null: the next free
/// one.</param>
/// <param name="Internal">The network reaches nothing beyond its own sandboxes: no outbound traffic, no other network,
/// not the host (compose's <c>internal: true</c>).</param>
public sealed record SandboxNetwork(string Name, string? Subnet = null, string? Address = null, bool Internal = false);

/// <summary>A sandbox's address on one of its named networks, and that network's gateway (the host's end).</summary>
public sealed record SandboxAddress(string Network, string Address, string Gateway);
