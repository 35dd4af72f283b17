using Hearth.Compose.Model;

namespace Hearth.Compose.Binding;

/// <summary>
/// Parses the short port syntax <c>[host_ip:][published[-end]:]target[-end][/protocol]</c>; ranges of equal
/// length are expanded into one port each, as <c>docker compose config</c> prints them.
/// </summary>
public static class PortSyntax
{
    public static bool TryParse(string spec, out IReadOnlyList<ServicePort> ports, out string error)
    {
        ports = [];
        error = "";
        var text = spec.Trim();
        var protocol = "tcp";
        var slash = text.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            text = text[..slash];
            if (protocol.Length == 0)
                return Fail("an empty protocol", out error);
        }

        string? hostIp = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
                return Fail("a closing ']' and ':' after an IPv6 address", out error);
            hostIp = text[1..close];
            text = text[(close + 2)..];
        }
        var parts = text.Split(':');
        string targetPart,
            publishedPart = "";
        switch (parts.Length)
        {
            case 1:
                targetPart = parts[0];
                break;
            case 2:
                (publishedPart, targetPart) = (parts[0], parts[1]);
                break;
            default:
                if (hostIp is not null)
                    return Fail("host_ip:published:target", out error);
                hostIp = string.Join(':', parts[..^2]);
                (publishedPart, targetPart) = (parts[^2], parts[^1]);
                break;
        }
        if (hostIp is { Length: > 0 } && !IsHostIp(hostIp))
            return Fail($"[host_ip:][host_port:]container_port, and '{hostIp}' is not an IP address", out error);
        if (!TryRange(targetPart, out var targetStart, out var targetEnd))
            return Fail("a container port or range", out error);
        int publishedStart = 0,
            publishedEnd = 0;
        if (publishedPart.Length > 0 && !TryRange(publishedPart, out publishedStart, out publishedEnd))
            return Fail("a host port or range", out error);

        var count = targetEnd - targetStart + 1;
        var publishedCount = publishedEnd - publishedStart + 1;
        var list = new List<ServicePort>();
        for (var i = 0; i < count; i++)
        {
            string? published =
                publishedPart.Length == 0 ? null
                : count > 1 && publishedCount == count ? (publishedStart + i).ToString()
                : publishedCount > 1 ? $"{publishedStart}-{publishedEnd}"
                : publishedStart.ToString();
            if (count > 1 && publishedPart.Length > 0 && publishedCount != count && publishedCount != 1)
                return Fail("port ranges of the same length", out error);
            list.Add(new ServicePort(targetStart + i, published, hostIp, protocol, "ingress", null, null));
        }
        ports = list;
        return true;
    }

    private static bool TryRange(string text, out int start, out int end)
    {
        end = 0;
        var dash = text.IndexOf('-');
        if (dash < 0)
        {
            var ok = TryPort(text, out start);
            end = start;
            return ok;
        }
        return TryPort(text[..dash], out start)
            && TryPort(text[(dash + 1)..], out end)
            && end >= start
            && end - start < 65536;
    }

    /// <summary>An IPv4 address in dotted form or an IPv6 address ("80:80" in "80:80:80:80" is neither).</summary>
    private static bool IsHostIp(string text) =>
        System.Net.IPAddress.TryParse(text, out var ip)
        && (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3);

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, null, out port) && port is >= 0 and <= 65535;

    private static bool Fail(string expected, out string error)
    {
        error = $"expected {expected}";
        return false;
    }
}
