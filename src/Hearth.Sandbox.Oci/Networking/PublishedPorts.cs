using System.Net;
using System.Net.Sockets;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>Checks a request's port mappings before anything is set up.</summary>
internal static class PublishedPorts
{
    public static void Validate(IReadOnlyList<PortMapping> ports)
    {
        var seen = new HashSet<(string, int, string)>();
        foreach (var port in ports)
        {
            if (!IPAddress.TryParse(port.HostIp, out var ip) || ip.AddressFamily != AddressFamily.InterNetwork)
                throw new SandboxStartException($"port {port}: the host address must be IPv4 (0.0.0.0 for all)");
            if (port.HostPort is < 1 or > 65535 || port.ContainerPort is < 1 or > 65535)
                throw new SandboxStartException($"port {port}: ports must be from 1 to 65535");
            if (port.Protocol is not ("tcp" or "udp"))
                throw new SandboxStartException($"port {port}: the protocol must be tcp or udp");
            if (!seen.Add((ip.ToString(), port.HostPort, port.Protocol)))
                throw new SandboxStartException($"port {port}: published twice");
        }
    }
}
