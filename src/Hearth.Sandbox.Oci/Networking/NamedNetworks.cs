using System.Globalization;
using System.Text.Json;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Networking;

/// <summary>
/// The named networks on this host (a compose project's networks): each its own bridge and subnet, taken from
/// <see cref="OciNetworkOptions.NamedSubnets"/> on its first sandbox and given back when its last one leaves. The
/// registry (<c>named-networks.json</c>, or <c>named-networks-PREFIX.json</c> for another bridge prefix than the
/// default, changed under its <c>.lock</c>) says which bridge and subnet each
/// name has and which sandbox joined it last, the mark the orphan reaper names a bridge left empty by.
/// Attaching holds the registry's lock, so a bridge is never removed under a sandbox joining it.
/// </summary>
public sealed class NamedNetworks
{
    private readonly OciNetworkOptions _options;
    private readonly TimeProvider _time;
    private readonly Ipv4Subnet _pool;
    private readonly string _registry;
    private readonly string _lockPath;

    public NamedNetworks(OciNetworkOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _pool = Ipv4Subnet.Parse(options.NamedSubnets);
        if (options.NamedPrefixLength < _pool.PrefixLength || options.NamedPrefixLength > 28)
            throw new ArgumentException(
                $"NamedPrefixLength {options.NamedPrefixLength} must be from {_pool.PrefixLength} to 28"
            );
        // One registry per bridge prefix: agents sharing a host (each its own prefix and range) never share a bridge.
        // The default prefix keeps the registry's first name, so a host's existing networks are still found.
        var registry =
            options.NamedBridgePrefix == new OciNetworkOptions().NamedBridgePrefix
                ? "named-networks"
                : $"named-networks-{options.NamedBridgePrefix}";
        _registry = Path.Combine(options.StateDirectory, registry + ".json");
        _lockPath = Path.Combine(options.StateDirectory, registry + ".lock");
    }

    /// <summary>The default bridge's options, which every named network's are derived from.</summary>
    internal OciNetworkOptions Options => _options;

    /// <summary>
    /// Puts a sandbox on network <paramref name="name"/>, making its bridge first if it has none. The first network of
    /// a sandbox makes its namespace (<paramref name="joinNamespace"/> null); later ones join it.
    /// </summary>
    /// <param name="subnet">The network's declared subnet (compose's <c>ipam</c>): its bridge uses it instead of one
    /// from <see cref="OciNetworkOptions.NamedSubnets"/>; it must not overlap another network's on this host.</param>
    /// <param name="fixedAddress">The sandbox's address on it (compose's <c>ipv4_address</c>); null: the next free
    /// one.</param>
    /// <param name="isInternal">The network reaches nothing beyond its own sandboxes (compose's <c>internal</c>).</param>
    public async Task<ContainerNetwork> AttachAsync(
        string name,
        string sandboxId,
        IReadOnlyList<PortMapping> ports,
        string? joinNamespace,
        string interfaceName,
        bool lowPortsForEveryone,
        CancellationToken cancellationToken,
        string? subnet = null,
        string? fixedAddress = null,
        bool isInternal = false
    )
    {
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        var entries = Load();
        var entry = entries.FirstOrDefault(e => e.Name == name);
        Ipv4Subnet? declared;
        try
        {
            declared = subnet is null ? null : Ipv4Subnet.Parse(subnet);
        }
        catch (ArgumentException e)
        {
            throw new NetworkSetupException($"network {name}: {e.Message}");
        }
        if (entry is not null && declared is not null && entry.Subnet != declared.ToString())
            throw new NetworkSetupException(
                $"network {name} has subnet {entry.Subnet} on this host, not the declared {declared}"
            );
        if (entry is not null && entry.Internal != isInternal)
            throw new NetworkSetupException(
                $"network {name} is {(entry.Internal ? "internal" : "not internal")} on this host, and this sandbox "
                    + $"wants it {(isInternal ? "internal" : "not internal")}: remove its sandboxes first"
            );
        if (entry is null)
        {
            var index = FreeIndex(entries)
                ?? throw new NetworkSetupException(
                    $"no free subnet left in {_options.NamedSubnets} for network {name}"
                );
            if (
                declared is not null
                && entries.FirstOrDefault(e => Overlap(Ipv4Subnet.Parse(e.Subnet), declared)) is { } other
            )
                throw new NetworkSetupException(
                    $"network {name}'s declared subnet {declared} overlaps network {other.Name}'s {other.Subnet} on this host"
                );
            entry = new NamedNetwork(
                name,
                BridgeName(index),
                (declared ?? SubnetOf(index)).ToString(),
                sandboxId,
                isInternal
            );
        }
        entry = entry with { LastSandbox = sandboxId };
        entries = [.. entries.Where(e => e.Name != name), entry];
        Save(entries);
        try
        {
            return await Bridge(entry)
                .AttachAsync(
                    sandboxId,
                    ports,
                    cancellationToken,
                    lowPortsForEveryone,
                    joinNamespace,
                    interfaceName,
                    fixedAddress
                );
        }
        catch
        {
            // A network made for this sandbox alone goes with its failed start.
            if (await Bridge(entry).RemoveIfUnusedAsync(CancellationToken.None))
                Save([.. entries.Where(e => e.Name != name)]);
            throw;
        }
    }

    /// <summary>The networks now registered (for the orphan reaper, diagnostics and tests).</summary>
    public IReadOnlyList<NamedNetwork> List() => File.Exists(_registry) ? Load() : [];

    /// <summary>The bridge of a registered network.</summary>
    internal BridgeNetwork Bridge(NamedNetwork entry) =>
        new(
            _options with
            {
                BridgeName = entry.Bridge,
                Subnet = entry.Subnet,
                Internal = entry.Internal,
            },
            _time,
            this,
            entry.Name
        );

    /// <summary>
    /// Removes the network's bridge when no sandbox is left on it, and its registry entry with it. Idempotent.
    /// </summary>
    internal async Task RemoveIfUnusedAsync(string name, CancellationToken cancellationToken)
    {
        await using var held = await StateLock.AcquireAsync(_lockPath, _time, cancellationToken);
        var entries = Load();
        if (entries.FirstOrDefault(e => e.Name == name) is not { } entry)
            return;
        if (!await Bridge(entry).RemoveIfUnusedAsync(cancellationToken))
            return;
        Save([.. entries.Where(e => e.Name != name)]);
    }

    private static bool Overlap(Ipv4Subnet a, Ipv4Subnet b)
    {
        var prefix = Math.Min(a.PrefixLength, b.PrefixLength);
        var mask = uint.MaxValue << (32 - prefix);
        return (a.Network & mask) == (b.Network & mask);
    }

    private uint? FreeIndex(IReadOnlyList<NamedNetwork> entries)
    {
        var taken = entries.Select(e => e.Bridge).ToHashSet(StringComparer.Ordinal);
        var count = 1u << (_options.NamedPrefixLength - _pool.PrefixLength);
        for (uint index = 0; index < count; index++)
            if (
                !taken.Contains(BridgeName(index))
                && !BridgeNetwork.LinkExists(BridgeName(index))
                && !entries.Any(e => Overlap(Ipv4Subnet.Parse(e.Subnet), SubnetOf(index)))
            )
                return index;
        return null;
    }

    private string BridgeName(uint index) =>
        _options.NamedBridgePrefix + index.ToString("x", CultureInfo.InvariantCulture);

    private Ipv4Subnet SubnetOf(uint index) =>
        new(_pool.Network + (index << (32 - _options.NamedPrefixLength)), _options.NamedPrefixLength);

    private List<NamedNetwork> Load()
    {
        if (!File.Exists(_registry))
            return [];
        return JsonSerializer.Deserialize(File.ReadAllText(_registry), OciJsonContext.Default.ListNamedNetwork) ?? [];
    }

    private void Save(List<NamedNetwork> entries)
    {
        var temporary = _registry + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(entries, OciJsonContext.Default.ListNamedNetwork));
        File.Move(temporary, _registry, overwrite: true);
    }
}

/// <param name="LastSandbox">The sandbox that joined it last: the mark its bridge is reaped by once nothing is on
/// it.</param>
/// <param name="Internal">Its sandboxes reach nothing beyond the network (compose's <c>internal: true</c>).</param>
public sealed record NamedNetwork(string Name, string Bridge, string Subnet, string LastSandbox, bool Internal = false)
{
    /// <summary>The bridge's own address, every sandbox's gateway and its embedded DNS's.</summary>
    public string Gateway => Ipv4Subnet.Parse(Subnet).Gateway.ToString();
}
