namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// The bridge network given to sandboxes that ask for a network. Every driver (and process) that uses the same
/// bridge must use the same subnet, nftables table and state directory.
/// </summary>
public sealed record OciNetworkOptions
{
    /// <summary>Linux bridge the containers' veths join; created when missing, left in place afterwards.</summary>
    public string BridgeName { get; init; } = "hearth0";

    /// <summary>
    /// Private IPv4 subnet; the bridge takes its first host address and is every container's gateway.
    /// </summary>
    public string Subnet { get; init; } = "10.88.0.0/16";

    /// <summary>nftables table (family ip) holding the masquerade rule and the published-port maps.</summary>
    public string NftTable { get; init; } = "hearth";

    /// <summary>Address allocations (one JSON file per bridge, changed under an flock'd lock file).</summary>
    public string StateDirectory { get; init; } = "/run/hearth/oci-network";

    /// <summary>Masquerade traffic from the subnet to other networks (outbound NAT).</summary>
    public bool Masquerade { get; init; } = true;

    /// <summary>
    /// The bridge's sandboxes reach nothing beyond it (a named network declared <c>internal</c>): what they send that
    /// would be forwarded anywhere else is refused. Replies to connections made to them (published ports) still go out.
    /// </summary>
    public bool Internal { get; init; }

    /// <summary>
    /// Name servers written to the container's /etc/resolv.conf. Null: the host's, minus loopback ones
    /// (a resolver on the host's 127.0.0.x is unreachable from a container's namespace).
    /// </summary>
    public IReadOnlyList<string>? DnsServers { get; init; }

    /// <summary>
    /// The range named networks (compose networks) take their subnets from, one <see cref="NamedPrefixLength"/> block
    /// each. Agents on one host, or on hosts whose bridges are routed to each other, need disjoint ranges.
    /// </summary>
    public string NamedSubnets { get; init; } = "10.89.0.0/16";

    public int NamedPrefixLength { get; init; } = 24;

    /// <summary>
    /// Named networks' bridges are this prefix and the subnet's index in <see cref="NamedSubnets"/> (hex); their
    /// registry is per prefix, so agents on one host need distinct prefixes (and ranges) to keep their bridges apart.
    /// </summary>
    public string NamedBridgePrefix { get; init; } = "hsv";

    /// <summary>
    /// Ports on the host's own addresses that sandboxes on the bridge may reach (<c>--oci-allow-host-ports</c>). By
    /// default none: a sandbox reaches the host only for replies to the host's own connections and for DNS (the
    /// embedded DNS on a named network's gateway, and name servers in <see cref="DnsServers"/> or the host's
    /// resolv.conf that are host addresses). See docs/oci.md, "Isolation from the host and between networks".
    /// </summary>
    public IReadOnlyList<HostPortRange> AllowedHostPorts { get; init; } = [];

    /// <summary>The host's resolver configuration, read when <see cref="DnsServers"/> is null.</summary>
    public string HostResolvConf { get; init; } = "/etc/resolv.conf";
}
