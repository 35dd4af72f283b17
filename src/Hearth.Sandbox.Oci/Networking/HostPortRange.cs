using System.Globalization;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// Host ports sandboxes on the bridge may reach on the host's own addresses (<c>--oci-allow-host-ports</c>): one port
/// or a range, tcp or udp. Everything else on the host is refused to them.
/// </summary>
public sealed record HostPortRange(int First, int Last, string Protocol = "tcp")
{
    /// <summary>
    /// <c>5432</c>, <c>8000-8100</c>, <c>53/udp</c>: tcp unless <c>/udp</c> is given (compose's ports syntax).
    /// </summary>
    public static bool TryParse(string text, out HostPortRange? range, out string error)
    {
        range = null;
        var protocol = "tcp";
        var ports = text.Trim();
        var slash = ports.IndexOf('/');
        if (slash >= 0)
        {
            protocol = ports[(slash + 1)..].ToLowerInvariant();
            ports = ports[..slash];
            if (protocol is not ("tcp" or "udp"))
            {
                error = $"'{text}': the protocol must be tcp or udp";
                return false;
            }
        }
        var dash = ports.IndexOf('-');
        var firstText = dash < 0 ? ports : ports[..dash];
        var lastText = dash < 0 ? ports : ports[(dash + 1)..];
        if (!TryPort(firstText, out var first) || !TryPort(lastText, out var last) || last < first)
        {
            error = $"'{text}': expected a port from 1 to 65535 or a range such as 8000-8100, with /tcp or /udp";
            return false;
        }
        range = new HostPortRange(first, last, protocol);
        error = "";
        return true;
    }

    /// <summary>One port or range (<see cref="TryParse"/>); a <see cref="FormatException"/> says what is
    /// wrong.</summary>
    public static HostPortRange Parse(string text) =>
        TryParse(text, out var range, out var error) ? range! : throw new FormatException(error);

    /// <summary>A comma-separated list; <c>none</c> or empty: none.</summary>
    public static IReadOnlyList<HostPortRange> ParseList(string text)
    {
        if (text.Trim() is "" or "none")
            return [];
        var ranges = new List<HostPortRange>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            ranges.Add(Parse(item));
        return ranges;
    }

    /// <summary>The nftables element: <c>tcp . 5432</c> or <c>tcp . 8000-8100</c>.</summary>
    internal string NftElement => $"{Protocol} . {Ports}";

    public override string ToString() => $"{Ports}/{Protocol}";

    private string Ports =>
        First == Last
            ? First.ToString(CultureInfo.InvariantCulture)
            : $"{First.ToString(CultureInfo.InvariantCulture)}-{Last.ToString(CultureInfo.InvariantCulture)}";

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;
}
