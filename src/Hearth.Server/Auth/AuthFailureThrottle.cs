using System.Net;
using System.Net.Sockets;
using Hearth.Server.Configuration;

namespace Hearth.Server.Auth;

/// <summary>
/// Brute-force brake on failed authentications (unknown keys, bad claim tokens), in fixed one-minute windows, counted
/// per network (an IPv4 /24, an IPv6 /64, all of loopback as one) so that rotating the source address within it does
/// not help, and over all networks with a higher limit. Over a limit, failures get 429; a valid key or agent token is
/// never refused (the middleware checks the key first), so guesses from a run cannot knock its own agent off the
/// server.
/// </summary>
public sealed class AuthFailureThrottle(ServerOptions options, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxTrackedNetworks = 100_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Counter> _networks = new(StringComparer.Ordinal);
    private Counter _all;

    private int PerNetwork => options.Access.AuthFailuresPerMinute;
    private int Total => options.Access.AuthFailuresPerMinuteTotal;

    /// <summary>
    /// True when failures from this address's network, or from everywhere, used up this minute's budget.
    /// </summary>
    public bool IsBlocked(string address)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_all.Count(now) >= Total)
                return true;
            return _networks.TryGetValue(NetworkOf(address), out var counter) && counter.Count(now) >= PerNetwork;
        }
    }

    public void RecordFailure(string address)
    {
        var now = time.GetUtcNow();
        var network = NetworkOf(address);
        lock (_gate)
        {
            _all = _all.Add(now);
            if (_networks.Count >= MaxTrackedNetworks)
                _networks.Clear();
            _networks[network] = _networks.GetValueOrDefault(network).Add(now);
        }
    }

    /// <summary>
    /// The network an address counts under: 127.0.0.0/8 for loopback, else its /24 (IPv4) or /64 (IPv6).
    /// </summary>
    public static string NetworkOf(string address)
    {
        if (!IPAddress.TryParse(address, out var ip))
            return address;
        if (ip.IsIPv4MappedToIPv6)
            ip = ip.MapToIPv4();
        if (IPAddress.IsLoopback(ip))
            return "loopback";
        var bytes = ip.GetAddressBytes();
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[3] = 0;
            return new IPAddress(bytes) + "/24";
        }
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    private readonly record struct Counter(DateTimeOffset Start, int Failures)
    {
        public int Count(DateTimeOffset now) => now - Start < Window ? Failures : 0;

        public Counter Add(DateTimeOffset now) =>
            now - Start < Window ? this with { Failures = Failures + 1 } : new Counter(now, 1);
    }
}
