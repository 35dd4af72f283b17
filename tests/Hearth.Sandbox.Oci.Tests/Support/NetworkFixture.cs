using System.Diagnostics;
using Hearth.Sandbox.Oci.Networking;

namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>
/// A private bridge, subnet and nftables table for the network tests, plus an "upstream" network namespace the
/// test creates (on its own veth and subnet) running busybox httpd, whose CGI echoes the client address. Test
/// traffic never leaves the host. Dispose removes all of it, and any namespace a failed test left behind.
/// </summary>
public sealed class NetworkFixture : IAsyncLifetime
{
    public const string IdPrefix = "n-";
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly string _work = Tools.TempDirectory("hearth-net");
    private Process? _httpd;

    public NetworkFixture()
    {
        var random = Random.Shared;
        Options = new OciNetworkOptions
        {
            BridgeName = "htb" + _tag,
            Subnet = $"10.{random.Next(200, 250)}.{random.Next(0, 255)}.0/24",
            NftTable = "hearth_test_" + _tag,
            StateDirectory = Path.Combine(_work, "state"),
            DnsServers = ["192.0.2.53"],
            NamedSubnets = $"10.{random.Next(150, 200)}.{random.Next(0, 16) * 16}.0/20",
            NamedBridgePrefix = "hn" + _tag,
        };
        UpstreamSubnetPrefix = $"192.168.{random.Next(100, 250)}";
    }

    public OciNetworkOptions Options { get; }

    public string UpstreamNamespace => "htu" + _tag;

    public string UpstreamVeth => "htu" + _tag;

    private string UpstreamSubnetPrefix { get; }

    /// <summary>The host's address on the upstream link: what the upstream server sees after masquerade.</summary>
    public string UpstreamHostAddress => UpstreamSubnetPrefix + ".1";

    public string UpstreamServerAddress => UpstreamSubnetPrefix + ".2";

    public const int UpstreamPort = 8000;

    public async Task InitializeAsync()
    {
        var cgi = Path.Combine(_work, "www", "cgi-bin");
        Directory.CreateDirectory(cgi);
        var script = Path.Combine(cgi, "whoami");
        await File.WriteAllTextAsync(
            script,
            "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho \"$REMOTE_ADDR\"\n"
        );
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);

        await Tools.RunAsync("ip", "netns", "add", UpstreamNamespace);
        await Tools.RunAsync(
            "ip",
            "link",
            "add",
            UpstreamVeth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            UpstreamNamespace
        );
        await Tools.RunAsync("ip", "addr", "add", UpstreamHostAddress + "/24", "dev", UpstreamVeth);
        await Tools.RunAsync("ip", "link", "set", UpstreamVeth, "up");
        await Tools.RunAsync(
            "ip",
            "-n",
            UpstreamNamespace,
            "addr",
            "add",
            UpstreamServerAddress + "/24",
            "dev",
            "eth0"
        );
        await Tools.RunAsync("ip", "-n", UpstreamNamespace, "link", "set", "eth0", "up");
        // No route back to the bridge subnet: only masqueraded traffic can be answered.
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (
            var arg in new[]
            {
                "netns",
                "exec",
                UpstreamNamespace,
                "busybox",
                "httpd",
                "-f",
                "-p",
                $"{UpstreamServerAddress}:{UpstreamPort}",
                "-h",
                Path.Combine(_work, "www"),
            }
        )
            start.ArgumentList.Add(arg);
        _httpd = Process.Start(start)!;
    }

    public async Task DisposeAsync()
    {
        if (_httpd is { HasExited: false })
        {
            _httpd.Kill();
            await _httpd.WaitForExitAsync();
        }
        _httpd?.Dispose();
        await TryAsync("ip", "link", "del", UpstreamVeth);
        await TryAsync("ip", "netns", "del", UpstreamNamespace);
        foreach (
            var leftover in Directory.Exists("/run/netns")
                ? Directory.GetFiles("/run/netns", "hearth-" + IdPrefix + _tag + "*")
                : []
        )
            await TryAsync("ip", "netns", "del", Path.GetFileName(leftover));
        await TryAsync("ip", "link", "del", Options.BridgeName);
        foreach (var bridge in Directory.GetDirectories("/sys/class/net", Options.NamedBridgePrefix + "*"))
            await TryAsync("ip", "link", "del", Path.GetFileName(bridge));
        foreach (var line in (await Tools.RunAsync("nft", "list", "tables")).Split('\n'))
            if (line.StartsWith($"table ip {Options.NftTable}_", StringComparison.Ordinal))
                await TryAsync("nft", "delete", "table", "ip", line[9..].Trim());
        await TryAsync("nft", "delete", "table", "ip", Options.NftTable);
        await TryAsync("nft", "delete", "table", "inet", Options.NftTable + "_filter");
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>Sandbox ids of this fixture, so leftovers of a failed test can be found and removed.</summary>
    public string NewId() => IdPrefix + _tag + Guid.NewGuid().ToString("N")[..10];

    public static async Task<string> NftMapAsync(string table, string map) =>
        await Tools.RunAsync("nft", "list", "map", "ip", table, map);

    private static async Task TryAsync(string file, params string[] args)
    {
        try
        {
            await Tools.RunAsync(file, args);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
