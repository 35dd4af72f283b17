using System.Net;
using System.Text;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>Writes the /etc/hosts and /etc/resolv.conf a networked container gets (bind-mounted read-only).</summary>
internal static class ContainerEtcFiles
{
    /// <param name="dnsServers">Name servers instead of the options' (an agent's embedded DNS); null: the
    /// options'.</param>
    public static (string Hosts, string ResolvConf) Write(
        string directory,
        ContainerNetwork network,
        string hostname,
        OciNetworkOptions options,
        IReadOnlyList<string>? dnsServers = null
    )
    {
        Directory.CreateDirectory(directory);
        var hosts = Path.Combine(directory, "hosts");
        File.WriteAllText(
            hosts,
            $"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n{network.Address}\t{hostname}\n{network.Gateway}\thost.hearth.internal\n"
        );
        var resolvConf = Path.Combine(directory, "resolv.conf");
        File.WriteAllText(
            resolvConf,
            dnsServers is null ? ResolvConf(options) : string.Concat(dnsServers.Select(s => $"nameserver {s}\n"))
        );
        return (hosts, resolvConf);
    }

    /// <summary>The configured name servers, else the host's minus loopback ones.</summary>
    public static IReadOnlyList<string> NameServers(OciNetworkOptions options) =>
        options.DnsServers
        ?? (File.Exists(options.HostResolvConf) ? File.ReadAllLines(options.HostResolvConf) : [])
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f =>
                f.Length >= 2
                && f[0] == "nameserver"
                && IPAddress.TryParse(f[1], out var ip)
                && !IPAddress.IsLoopback(ip)
            )
            .Select(f => f[1])
            .ToList();

    private static string ResolvConf(OciNetworkOptions options)
    {
        var text = new StringBuilder();
        var hostLines = File.Exists(options.HostResolvConf) ? File.ReadAllLines(options.HostResolvConf) : [];
        foreach (var server in NameServers(options))
            text.Append("nameserver ").Append(server).Append('\n');
        foreach (
            var line in hostLines.Where(l =>
                l.StartsWith("search ", StringComparison.Ordinal) || l.StartsWith("options ", StringComparison.Ordinal)
            )
        )
            text.Append(line).Append('\n');
        return text.ToString();
    }
}
