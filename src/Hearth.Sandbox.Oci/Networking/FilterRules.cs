using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// The nftables filter table (<c>inet NFTTABLE_filter</c>) that keeps sandboxes off the host and off each other's
/// networks: per bridge, an input chain (what a sandbox may reach on the host's own addresses: replies, DNS, the
/// operator's allowed ports; everything else refused) and a forward chain (its own bridge, bridges of the same named
/// network, published ports, the world beyond the host; another Hearth bridge refused). Both are reached through
/// verdict maps keyed by the incoming interface, so adding or removing a bridge never edits a shared rule, and a
/// bridge's chains are rewritten whole (flushed and refilled in one transaction) each time a process first sets it up.
/// The family is inet, so IPv6 from a sandbox to the host (link-local addresses on the bridge) is refused too.
/// </summary>
internal sealed class FilterRules(OciNetworkOptions options)
{
    private const string Reject = "reject with icmpx admin-prohibited";

    public string Table => $"inet {options.NftTable}_filter";

    /// <summary>Creates what is missing, and (re)writes this bridge's chains and elements. Idempotent.</summary>
    /// <param name="gateway">The bridge's own address.</param>
    /// <param name="networkName">The named network the bridge carries (its DNS on the gateway); null: the default
    /// bridge.</param>
    /// <param name="resolvers">The name servers sandboxes are given (reachable on port 53 if they are host
    /// addresses).</param>
    public string Ensure(string bridge, IPAddress gateway, string? networkName, IReadOnlyList<string> resolvers)
    {
        var text = new StringBuilder(Preamble());
        var input = InputChain(bridge);
        var forward = ForwardChain(bridge);
        text.Append($"add chain {Table} {input}\nflush chain {Table} {input}\n");
        text.Append($"add rule {Table} {input} ct state established,related accept\n");
        // The agent's embedded DNS answers a named network's sandboxes on its gateway (UDP only).
        if (networkName is not null)
            text.Append($"add rule {Table} {input} ip daddr {gateway} udp dport 53 accept\n");
        var servers = resolvers
            .Select(s => IPAddress.TryParse(s, out var ip) ? ip : null)
            .Where(ip => ip is { AddressFamily: AddressFamily.InterNetwork })
            .Select(ip => ip!.ToString())
            .Distinct()
            .ToList();
        if (servers.Count > 0)
            text.Append(
                $"add rule {Table} {input} ip daddr {{ {string.Join(", ", servers)} }} "
                    + "meta l4proto { tcp, udp } th dport 53 accept\n"
            );
        if (options.AllowedHostPorts.Count > 0)
        {
            var ports = string.Join(", ", options.AllowedHostPorts.Select(p => p.NftElement));
            text.Append($"add rule {Table} {input} meta nfproto ipv4 meta l4proto . th dport {{ {ports} }} accept\n");
        }
        // Broadcast and multicast (mDNS, SSDP…) dropped without an answer; anything else refused at once, so a job
        // fails fast instead of waiting for a timeout.
        text.Append($"add rule {Table} {input} pkttype != host drop\n");
        text.Append($"add rule {Table} {input} {Reject}\n");

        text.Append($"add chain {Table} {forward}\nflush chain {Table} {forward}\n");
        text.Append($"add rule {Table} {forward} oifname {Quoted(bridge)} accept\n");
        if (networkName is not null)
        {
            var peers = NetworkSet(networkName);
            text.Append($"add set {Table} {peers} {{ type ifname; }}\n");
            text.Append($"add element {Table} {peers} {{ {Quoted(bridge)} }}\n");
            // The same network's bridge of another agent on this host (each agent gives a network its own bridge).
            text.Append($"add rule {Table} {forward} oifname @{peers} accept\n");
        }
        // An internal network's sandboxes reach nothing else: only replies to connections made to them pass.
        if (options.Internal)
        {
            text.Append($"add rule {Table} {forward} ct direction reply accept\n");
            text.Append($"add rule {Table} {forward} {Reject}\n");
        }
        // A published port is meant to be reachable from wherever the host is, other networks included.
        text.Append($"add rule {Table} {forward} ct status dnat accept\n");
        text.Append($"add rule {Table} {forward} oifname @bridges {Reject}\n");
        text.Append($"add rule {Table} {forward} meta nfproto ipv6 {Reject}\n");

        text.Append($"add element {Table} bridges {{ {Quoted(bridge)} }}\n");
        text.Append($"add element {Table} inputs {{ {Quoted(bridge)} : jump {input} }}\n");
        text.Append($"add element {Table} forwards {{ {Quoted(bridge)} : jump {forward} }}\n");
        return text.ToString();
    }

    /// <summary>
    /// Removes the bridge's chains and elements (each is added first, so the batch never fails on one already
    /// gone). The network's peer set is left for <see cref="RemoveNetworkSet"/>, which fails while another bridge uses
    /// it.
    /// </summary>
    public string Remove(string bridge, string? networkName)
    {
        var text = new StringBuilder(Preamble());
        var input = InputChain(bridge);
        var forward = ForwardChain(bridge);
        text.Append($"add chain {Table} {input}\nadd chain {Table} {forward}\n");
        text.Append($"add element {Table} inputs {{ {Quoted(bridge)} : jump {input} }}\n");
        text.Append($"add element {Table} forwards {{ {Quoted(bridge)} : jump {forward} }}\n");
        text.Append($"add element {Table} bridges {{ {Quoted(bridge)} }}\n");
        text.Append($"delete element {Table} inputs {{ {Quoted(bridge)} }}\n");
        text.Append($"delete element {Table} forwards {{ {Quoted(bridge)} }}\n");
        text.Append($"delete element {Table} bridges {{ {Quoted(bridge)} }}\n");
        text.Append($"flush chain {Table} {input}\ndelete chain {Table} {input}\n");
        text.Append($"flush chain {Table} {forward}\ndelete chain {Table} {forward}\n");
        if (networkName is not null)
        {
            var peers = NetworkSet(networkName);
            text.Append($"add set {Table} {peers} {{ type ifname; }}\n");
            text.Append($"add element {Table} {peers} {{ {Quoted(bridge)} }}\n");
            text.Append($"delete element {Table} {peers} {{ {Quoted(bridge)} }}\n");
        }
        return text.ToString();
    }

    /// <summary>
    /// Deletes the network's peer set; fails (and may be ignored) while another agent's bridge uses it.
    /// </summary>
    public string RemoveNetworkSet(string networkName) => $"delete set {Table} {NetworkSet(networkName)}\n";

    public static string InputChain(string bridge) => "in_" + bridge;

    public static string ForwardChain(string bridge) => "fwd_" + bridge;

    /// <summary>The set of a named network's bridges on this host: <c>net_</c> and a hash of its name.</summary>
    public static string NetworkSet(string networkName) =>
        "net_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(networkName)))[..16];

    /// <summary>The table, its sets and maps, and the two base chains (rewritten, so never doubled).</summary>
    private string Preamble() =>
        $"""
            add table {Table}
            add set {Table} bridges {"{"} type ifname; {"}"}
            add map {Table} inputs {"{"} type ifname : verdict; {"}"}
            add map {Table} forwards {"{"} type ifname : verdict; {"}"}
            add chain {Table} input {"{"} type filter hook input priority filter; policy accept; {"}"}
            flush chain {Table} input
            add rule {Table} input iifname vmap @inputs
            add chain {Table} forward {"{"} type filter hook forward priority filter; policy accept; {"}"}
            flush chain {Table} forward
            add rule {Table} forward iifname vmap @forwards

            """;

    private static string Quoted(string value) => $"\"{value}\"";
}
