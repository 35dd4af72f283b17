using System.Globalization;
using System.Net;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// The nftables text for the bridge's table and its published-port map elements. Ports live in two maps
/// (host address + protocol + port, and protocol + port for 0.0.0.0) so publishing or withdrawing one is a
/// single element change, never a rule edit. Loopback publishing needs the output hook at priority -100
/// (locally generated packets) plus masquerade of 127.0.0.0/8 sources leaving through the bridge.
/// </summary>
internal sealed class NftRules(OciNetworkOptions options, Ipv4Subnet subnet)
{
    private const string Lookup = "dnat to ip daddr . meta l4proto . th dport map @ports";
    private const string LookupAny = "dnat to meta l4proto . th dport map @ports_any";

    public string Table => $"ip {options.NftTable}";

    public string CreateTable()
    {
        var bridge = Quoted(options.BridgeName);
        var masquerade = options.Masquerade ? $"    ip saddr {subnet} oifname != {bridge} masquerade\n" : "";
        return $$"""
            table {{Table}} {
              map ports {
                type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
              }
              map ports_any {
                type inet_proto . inet_service : ipv4_addr . inet_service
              }
              chain prerouting {
                type nat hook prerouting priority dstnat; policy accept;
                fib daddr type local {{Lookup}}
                fib daddr type local {{LookupAny}}
              }
              chain output {
                type nat hook output priority -100; policy accept;
                fib daddr type local {{Lookup}}
                fib daddr type local {{LookupAny}}
              }
              chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
            {{masquerade}}    oifname {{bridge}} ip saddr 127.0.0.0/8 masquerade
              }
            }

            """;
    }

    /// <summary>
    /// A named network's own table: the masquerade for its subnet (its ports live in the shared table's maps).
    /// </summary>
    public string BridgeTable => $"ip {options.NftTable}_{options.BridgeName}";

    public string CreateBridgeTable()
    {
        var bridge = Quoted(options.BridgeName);
        var masquerade = options.Masquerade ? $"    ip saddr {subnet} oifname != {bridge} masquerade\n" : "";
        return $$"""
            table {{BridgeTable}} {
              chain postrouting {
                type nat hook postrouting priority srcnat; policy accept;
            {{masquerade}}    oifname {{bridge}} ip saddr 127.0.0.0/8 masquerade
              }
            }

            """;
    }

    /// <summary>`create` fails when the key exists, which is how a port already published is detected.</summary>
    public string Publish(PortMapping port, string containerAddress) =>
        $"create element {Table} {MapName(port)} {{ {Key(port)} : {containerAddress} . {port.ContainerPort.ToString(CultureInfo.InvariantCulture)} }}\n";

    public string Withdraw(PortMapping port) => $"delete element {Table} {MapName(port)} {{ {Key(port)} }}\n";

    public static bool IsAnyAddress(PortMapping port) => IPAddress.Parse(port.HostIp).Equals(IPAddress.Any);

    private static string MapName(PortMapping port) => IsAnyAddress(port) ? "ports_any" : "ports";

    private static string Key(PortMapping port)
    {
        var service = $"{port.Protocol} . {port.HostPort.ToString(CultureInfo.InvariantCulture)}";
        return IsAnyAddress(port) ? service : $"{IPAddress.Parse(port.HostIp)} . {service}";
    }

    private static string Quoted(string value) => $"\"{value}\"";
}
