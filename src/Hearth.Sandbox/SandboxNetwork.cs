namespace Hearth.Sandbox;

/// <summary>
/// A named network a sandbox joins. <paramref name="Name"/> is unique on the host (an agent scopes a compose network by
/// its project: <c>PROJECT_NETWORK</c>); every sandbox naming it shares one bridge and subnet.
/// </summary>
public sealed record SandboxNetwork(string Name);

/// <summary>A sandbox's address on one of its named networks, and that network's gateway (the host's end).</summary>
public sealed record SandboxAddress(string Network, string Address, string Gateway);
