using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>An IPv4 network in CIDR form; host addresses are numbered from 1 (the gateway) upwards.</summary>
internal sealed record Ipv4Subnet(uint Network, int PrefixLength)
{
    public static Ipv4Subnet Parse(string cidr)
    {
        var parts = cidr.Split('/');
        if (
            parts.Length != 2
            || !IPAddress.TryParse(parts[0], out var address)
            || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)
            || prefix is < 8 or > 30
        )
            throw new ArgumentException($"'{cidr}' is not an IPv4 subnet from /8 to /30");
        var mask = uint.MaxValue << (32 - prefix);
        return new Ipv4Subnet(ToUInt(address) & mask, prefix);
    }

    /// <summary>Usable host addresses, excluding the network and broadcast addresses.</summary>
    public uint HostCount => (1u << (32 - PrefixLength)) - 2;

    public IPAddress Gateway => Host(1);

    public IPAddress Host(uint index) =>
        index < 1 || index > HostCount
            ? throw new ArgumentOutOfRangeException(nameof(index))
            : FromUInt(Network + index);

    public override string ToString() => $"{FromUInt(Network)}/{PrefixLength}";

    public static uint ToUInt(IPAddress address) => BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());

    private static IPAddress FromUInt(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
