using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Hearth.Agent.Dns;

/// <summary>
/// The agent's DNS for service replicas: a UDP responder on the gateway address of each named network one of its
/// replicas is on (the address their resolv.conf names). A query for a name of a network the asking replica is on
/// (found by its source address; a stranger gets the names of the network it asked on) is answered with its A
/// records and a short TTL; another type for such a name gets an empty answer; an unknown name without a dot gets
/// NXDOMAIN; anything else is forwarded to the host's name servers and their answer relayed. IPv4 and UDP only.
/// </summary>
public sealed class EmbeddedDns(
    ServiceNames names,
    IReadOnlyList<IPEndPoint> upstreams,
    ILogger logger,
    EmbeddedDnsOptions? options = null
) : IAsyncDisposable
{
    private readonly EmbeddedDnsOptions _options = options ?? new EmbeddedDnsOptions();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Listener> _listeners = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(string SandboxId, string Network)>> _clients = new(
        StringComparer.Ordinal
    );
    private readonly CancellationTokenSource _stop = new();

    /// <summary>
    /// A place of a replica on a network: the names it answers to there, its address and the network's gateway.
    /// </summary>
    public sealed record Place(string Network, IPAddress Address, IPAddress Gateway, IReadOnlyList<string> Names);

    /// <summary>
    /// The name servers in a resolv.conf (the host's, loopback ones included: the agent runs on the host).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> HostResolvers(string resolvConf = "/etc/resolv.conf")
    {
        if (!File.Exists(resolvConf))
            return [];
        return File.ReadLines(resolvConf)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f =>
                f.Length >= 2
                && f[0] == "nameserver"
                && IPAddress.TryParse(f[1], out var ip)
                && ip.AddressFamily == AddressFamily.InterNetwork
            )
            .Select(f => new IPEndPoint(IPAddress.Parse(f[1]), 53))
            .ToList();
    }

    /// <summary>
    /// Starts answering for a replica: on each place's gateway (a listener shared by every replica there), its names
    /// known on each network. Disposing the result undoes it; the last replica on a gateway closes its listener.
    /// </summary>
    public IAsyncDisposable Join(string sandboxId, IReadOnlyList<Place> places)
    {
        var opened = new List<Listener>();
        lock (_gate)
        {
            try
            {
                foreach (var place in places)
                {
                    var key = place.Gateway.ToString();
                    if (!_listeners.TryGetValue(key, out var listener))
                    {
                        listener = new Listener(place.Gateway, place.Network, Bind(place.Gateway));
                        _listeners[key] = listener;
                        listener.Loop = Task.Run(() => ServeAsync(listener));
                    }
                    listener.Users++;
                    opened.Add(listener);
                    var address = place.Address.ToString();
                    if (!_clients.TryGetValue(address, out var networks))
                        _clients[address] = networks = [];
                    networks.Add((sandboxId, place.Network));
                    names.AddLocal(place.Network, sandboxId, place.Names, place.Address);
                }
            }
            catch
            {
                LeaveLocked(sandboxId, opened);
                throw;
            }
        }
        return new Membership(this, sandboxId, opened);
    }

    private Socket Bind(IPAddress gateway)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(gateway, _options.Port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class Listener(IPAddress gateway, string network, Socket socket)
    {
        public IPAddress Gateway { get; } = gateway;
        public string Network { get; } = network;
        public Socket Socket { get; } = socket;
        public int Users { get; set; }
        public Task Loop { get; set; } = Task.CompletedTask;
    }

    private sealed class Membership(EmbeddedDns dns, string sandboxId, List<Listener> listeners) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
                return;
            List<Listener> closed;
            lock (dns._gate)
                closed = dns.LeaveLocked(sandboxId, listeners);
            foreach (var listener in closed)
                await listener.Loop.ConfigureAwait(false);
        }
    }

    /// <summary>Call under the gate. Returns the listeners closed.</summary>
    private List<Listener> LeaveLocked(string sandboxId, List<Listener> listeners)
    {
        names.RemoveLocal(sandboxId);
        foreach (var networks in _clients.Values)
            networks.RemoveAll(n => n.SandboxId == sandboxId);
        foreach (var empty in _clients.Where(c => c.Value.Count == 0).Select(c => c.Key).ToList())
            _clients.Remove(empty);
        var closed = new List<Listener>();
        foreach (var listener in listeners)
        {
            if (--listener.Users > 0)
                continue;
            _listeners.Remove(listener.Gateway.ToString());
            listener.Socket.Dispose();
            closed.Add(listener);
        }
        return closed;
    }

    /// <summary>The gateways answered on now (for tests and diagnostics).</summary>
    public IReadOnlyList<IPAddress> Gateways
    {
        get
        {
            lock (_gate)
                return _listeners.Values.Select(l => l.Gateway).ToList();
        }
    }

    private async Task ServeAsync(Listener listener)
    {
        var buffer = new byte[4096];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await listener.Socket.ReceiveFromAsync(
                    buffer,
                    SocketFlags.None,
                    new IPEndPoint(IPAddress.Any, 0),
                    _stop.Token
                );
            }
            catch (Exception e)
                when (e is ObjectDisposedException or OperationCanceledException
                    || e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted }
                )
            {
                return;
            }
            catch (SocketException e)
            {
                logger.LogDebug("dns on {Gateway}: receive failed ({Error})", listener.Gateway, e.Message);
                continue;
            }
            var request = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            var client = (IPEndPoint)received.RemoteEndPoint;
            // Each query on its own: a forwarded one must not hold up the answers of local names.
            _ = Task.Run(() => AnswerAsync(listener, request, client));
        }
    }

    private async Task AnswerAsync(Listener listener, byte[] request, IPEndPoint client)
    {
        try
        {
            var response = await ResolveAsync(request, client.Address, listener.Network, _stop.Token);
            await listener.Socket.SendToAsync(response, SocketFlags.None, client, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The listener closed, or the client went away: nothing to answer.
        }
    }

    /// <summary>
    /// The answer to one message from <paramref name="client"/>, received on <paramref name="network"/>'s gateway.
    /// </summary>
    public async Task<byte[]> ResolveAsync(
        byte[] request,
        IPAddress client,
        string network,
        CancellationToken cancellationToken
    )
    {
        if (DnsQuery.TryParse(request) is not { } query)
            return DnsAnswer.Error(request, DnsAnswer.FormatError);
        if (!query.IsQuery)
            return DnsAnswer.Error(request, DnsAnswer.NotImplemented);
        IReadOnlyList<string> networks;
        lock (_gate)
        {
            networks = _clients.TryGetValue(client.ToString(), out var of)
                ? of.Select(n => n.Network).Distinct().ToList()
                : [network];
        }
        if (query.Class == DnsQuery.ClassIn)
        {
            var addresses = names.Lookup(networks, query.Name);
            if (addresses.Count > 0)
            {
                // Replicas in a different order each time: clients that take the first spread over them.
                var shuffled = addresses.OrderBy(_ => Random.Shared.Next()).ToList();
                return DnsAnswer.Build(
                    request,
                    query,
                    DnsAnswer.NoError,
                    query.Type == DnsQuery.TypeA ? shuffled : [],
                    _options.TtlSeconds
                );
            }
            if (!query.Name.TrimEnd('.').Contains('.'))
                return DnsAnswer.Build(request, query, DnsAnswer.NameError, [], _options.TtlSeconds);
        }
        return await ForwardAsync(request, query, cancellationToken);
    }

    private async Task<byte[]> ForwardAsync(byte[] request, DnsQuery query, CancellationToken cancellationToken)
    {
        foreach (var upstream in upstreams)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ForwardTimeout);
            try
            {
                await socket.ConnectAsync(upstream, timeout.Token);
                await socket.SendAsync(request, SocketFlags.None, timeout.Token);
                var buffer = new byte[4096];
                while (true)
                {
                    var length = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    // Only the answer to this query (its id) is relayed.
                    if (length >= 12 && buffer[0] == request[0] && buffer[1] == request[1])
                        return buffer[..length];
                }
            }
            catch (Exception e)
                when (e is SocketException
                    || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
                )
            {
                logger.LogDebug(
                    "dns: forwarding {Name} to {Upstream} failed ({Error})",
                    query.Name,
                    upstream,
                    e.Message
                );
            }
        }
        return DnsAnswer.Build(request, query, DnsAnswer.ServerFailure, [], 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        List<Listener> listeners;
        lock (_gate)
        {
            listeners = [.. _listeners.Values];
            _listeners.Clear();
        }
        foreach (var listener in listeners)
            listener.Socket.Dispose();
        foreach (var listener in listeners)
            await listener.Loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}

public sealed record EmbeddedDnsOptions
{
    /// <summary>53; tests on loopback take any.</summary>
    public int Port { get; init; } = 53;

    /// <summary>Short: a replica that moves is found at its new address within seconds.</summary>
    public uint TtlSeconds { get; init; } = 5;

    public TimeSpan ForwardTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
