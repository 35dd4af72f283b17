using System.Net;
using System.Net.Sockets;
using Hearth.Compose.Model;
using Hearth.Core.Services;

namespace Hearth.Compose.Deployment;

/// <summary>
/// Networks with a declared subnet (<c>ipam.config[].subnet</c>) and the fixed addresses (<c>ipv4_address</c>) services
/// take on them. Such a network is kept on one agent, whose bridge for it uses the declared subnet, so its replicas can
/// have the addresses the file gives them. A fixed address needs a declared IPv4 subnet that holds it (not its network,
/// gateway (.1) or broadcast address) and a service of one replica; <c>ipv6_address</c> and <c>mac_address</c> are
/// refused.
/// </summary>
internal static class FixedAddresses
{
    /// <summary>
    /// The declared IPv4 subnet of each network that has one (the first IPv4 one of its <c>ipam.config</c>).
    /// </summary>
    public static Dictionary<string, string> Subnets(ComposeProject project, Action<string, string> error)
    {
        var subnets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, network) in project.Networks)
        {
            if (
                !network.Other.TryGetValue("ipam", out var ipam)
                || Get(ipam, "config") is not ComposeValue.ListValue configs
            )
                continue;
            var declared = configs
                .Items.Select(c => Get(c, "subnet"))
                .OfType<ComposeValue.StringValue>()
                .Select(v => v.Value)
                .ToList();
            var v4 = declared
                .Where(d => Parse(d) is { BaseAddress.AddressFamily: AddressFamily.InterNetwork })
                .ToList();
            if (v4.Count == 0)
            {
                if (declared.Count > 0)
                    error(
                        $"networks.{name}.ipam.config",
                        $"no IPv4 subnet (such as 172.20.0.0/24, "
                            + $"no host bits) among {string.Join(", ", declared)}: Hearth's bridges are IPv4 only"
                    );
                continue;
            }
            if (Parse(v4[0]) is not { } cidr || cidr.PrefixLength is < 8 or > 30)
            {
                error($"networks.{name}.ipam.config", $"subnet {v4[0]}: expected an IPv4 subnet from /8 to /30");
                continue;
            }
            subnets[name] = $"{cidr.BaseAddress}/{cidr.PrefixLength}";
        }
        return subnets;
    }

    /// <summary>
    /// The service's attachments with their network's subnet and their fixed address; refusals through
    /// <paramref name="error"/>.
    /// </summary>
    public static List<ServiceNetworkAttachment> Attach(
        ComposeService s,
        IReadOnlyList<ServiceNetworkAttachment> attachments,
        IReadOnlyDictionary<string, string> subnets,
        int replicas,
        Action<string, string> error
    )
    {
        var result = new List<ServiceNetworkAttachment>();
        foreach (var attachment in attachments)
        {
            var at = $"services.{s.Name}.networks.{attachment.Network}";
            var declared = s.Networks.GetValueOrDefault(attachment.Network);
            var subnet = subnets.GetValueOrDefault(attachment.Network);
            if (declared?.Ipv6Address is not null)
                error($"{at}.ipv6_address", "Hearth does not support fixed IPv6 addresses: its bridges are IPv4 only");
            if (declared?.MacAddress is not null)
                error(
                    $"{at}.mac_address",
                    "Hearth does not support fixed MAC addresses: each replica's interface gets its own"
                );
            var address = declared?.Ipv4Address;
            if (address is not null)
            {
                if (subnet is null)
                    error(
                        $"{at}.ipv4_address",
                        $"{address}: network {attachment.Network} declares no subnet (ipam.config[].subnet); "
                            + "a fixed address needs one that holds it"
                    );
                else if (!Within(address, subnet))
                    error(
                        $"{at}.ipv4_address",
                        $"{address} is not a host address of {attachment.Network}'s subnet {subnet} "
                            + "(its network, gateway (.1) and broadcast addresses are not)"
                    );
                if (replicas > 1)
                    error(
                        $"services.{s.Name}.deploy.replicas",
                        $"{replicas} replicas cannot share the fixed address {address}; use one"
                    );
            }
            result.Add(attachment with { Subnet = subnet, Ipv4Address = address });
        }
        return result;
    }

    private static bool Within(string address, string subnet)
    {
        if (!IPAddress.TryParse(address, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
            return false;
        var cidr = IPNetwork.Parse(subnet);
        if (!cidr.Contains(ip))
            return false;
        var offset = ToUInt(ip) - ToUInt(cidr.BaseAddress);
        var size = 1u << (32 - cidr.PrefixLength);
        return offset > 1 && offset < size - 1;
    }

    private static uint ToUInt(IPAddress ip) =>
        System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(ip.GetAddressBytes());

    private static IPNetwork? Parse(string text) => IPNetwork.TryParse(text, out var cidr) ? cidr : null;

    private static ComposeValue? Get(ComposeValue value, string key) =>
        value is ComposeValue.MapValue map ? map.Entries.FirstOrDefault(e => e.Key == key).Value : null;
}
