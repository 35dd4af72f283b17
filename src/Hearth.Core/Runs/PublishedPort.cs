using System.Globalization;
using System.Net;

namespace Hearth.Core.Runs;

/// <summary>
/// A container port published on the agent's host, as docker's <c>-p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/PROTO]</c>.
/// </summary>
public sealed record PublishedPort(string HostIp, int HostPort, int ContainerPort, string Protocol = "tcp")
{
    /// <summary>
    /// Parses docker's short syntax; the host address defaults to 0.0.0.0 (every address), as docker's does.
    /// </summary>
    public static bool TryParse(string text, out PublishedPort? port, out string? error)
    {
        port = null;
        error = null;
        var protocol = "tcp";
        var body = text.Trim();
        var slash = body.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = body[(slash + 1)..].ToLowerInvariant();
            body = body[..slash];
            if (protocol is not ("tcp" or "udp"))
            {
                error = $"protocol '{protocol}' is not tcp or udp";
                return false;
            }
        }
        var parts = body.Split(':');
        string hostIp = "0.0.0.0",
            hostPort,
            containerPort;
        switch (parts.Length)
        {
            case 2:
                (hostPort, containerPort) = (parts[0], parts[1]);
                break;
            case 3:
                (hostIp, hostPort, containerPort) = (parts[0], parts[1], parts[2]);
                break;
            default:
                error = "expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp], e.g. 8080:80 or 127.0.0.1:8080:80";
                return false;
        }
        if (
            !IPAddress.TryParse(hostIp, out var address)
            || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
        )
        {
            error = $"'{hostIp}' is not an IPv4 address";
            return false;
        }
        if (!Port(hostPort, out var host) || !Port(containerPort, out var container))
        {
            error = "ports must be numbers from 1 to 65535";
            return false;
        }
        port = new PublishedPort(hostIp, host, container, protocol);
        return true;
    }

    private static bool Port(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    public override string ToString() => $"{HostIp}:{HostPort}->{ContainerPort}/{Protocol}";
}
