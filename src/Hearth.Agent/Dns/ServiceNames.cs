using System.Net;
using Hearth.Core.Services;

namespace Hearth.Agent.Dns;

/// <summary>
/// The names the embedded DNS answers, per network (<c>PROJECT/NETWORK</c>): the server's view of the whole cluster
/// (<see cref="NetworkNamesView"/>, polled) merged with this agent's own replicas, which answer before the server has
/// heard of them. Names are matched without case and without a trailing dot.
/// </summary>
public sealed class ServiceNames
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NetworkNamesView> _server = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<LocalName>> _local = new(StringComparer.Ordinal);

    private sealed record LocalName(string SandboxId, string Name, IPAddress Address);

    /// <summary>The server's view of a network; an older version than the one held is ignored.</summary>
    public void SetServerView(string network, NetworkNamesView view)
    {
        lock (_gate)
        {
            if (_server.TryGetValue(network, out var held) && held.Version > view.Version)
                return;
            _server[network] = view;
        }
    }

    public long? ServerVersion(string network)
    {
        lock (_gate)
            return _server.TryGetValue(network, out var view) ? view.Version : null;
    }

    public void AddLocal(string network, string sandboxId, IEnumerable<string> names, IPAddress address)
    {
        lock (_gate)
        {
            if (!_local.TryGetValue(network, out var list))
                _local[network] = list = [];
            list.AddRange(names.Select(n => new LocalName(sandboxId, Normalize(n), address)));
        }
    }

    public void RemoveLocal(string sandboxId)
    {
        lock (_gate)
        {
            foreach (var list in _local.Values)
                list.RemoveAll(n => n.SandboxId == sandboxId);
        }
    }

    /// <summary>Forgets a network's server view (no replica of this agent is on it any more).</summary>
    public void Forget(string network)
    {
        lock (_gate)
        {
            _server.Remove(network);
            _local.Remove(network);
        }
    }

    /// <summary>
    /// The addresses <paramref name="name"/> has on any of <paramref name="networks"/>; empty when it is unknown.
    /// </summary>
    public IReadOnlyList<IPAddress> Lookup(IEnumerable<string> networks, string name)
    {
        var wanted = Normalize(name);
        var found = new List<IPAddress>();
        lock (_gate)
        {
            foreach (var network in networks)
            {
                if (_server.TryGetValue(network, out var view))
                {
                    foreach (var record in view.Records)
                        if (Normalize(record.Name) == wanted && IPAddress.TryParse(record.Address, out var address))
                            found.Add(address);
                }
                if (_local.TryGetValue(network, out var local))
                    found.AddRange(local.Where(n => n.Name == wanted).Select(n => n.Address));
            }
        }
        return found.Distinct().ToList();
    }

    private static string Normalize(string name) => name.TrimEnd('.').ToLowerInvariant();
}
