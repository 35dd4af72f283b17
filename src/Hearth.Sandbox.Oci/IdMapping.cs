using System.Globalization;

namespace Hearth.Sandbox.Oci;

/// <summary>
/// The host ids a container's ids map onto (docker's <c>userns-remap</c>): container uid or gid N is host id
/// <see cref="HostIdBase"/> + N, for N below <see cref="Size"/>. The same range serves uids and gids. Container ids
/// outside it have no host id: the kernel shows them as the overflow id (65534, nobody) and the image store refuses
/// layers that own files with them.
/// </summary>
public sealed record IdMapping
{
    public IdMapping(uint hostIdBase, uint size)
    {
        if (hostIdBase == 0)
            throw new ArgumentOutOfRangeException(
                nameof(hostIdBase),
                "a range starting at host id 0 would map the container's root to the host's"
            );
        if (size == 0)
            throw new ArgumentOutOfRangeException(nameof(size), "the range must hold at least id 0");
        // (uid_t)-1 means "no id" to chown and setuid, so the range stops below it.
        if ((ulong)hostIdBase + size > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(size), "the range goes past the last host id");
        HostIdBase = hostIdBase;
        Size = size;
    }

    /// <summary>The host id of the container's id 0 (its root).</summary>
    public uint HostIdBase { get; }

    /// <summary>How many ids, from container id 0, are mapped.</summary>
    public uint Size { get; }

    /// <summary>
    /// The host id of container id <paramref name="containerId"/>, or false when it is outside the range.
    /// </summary>
    public bool TryMap(long containerId, out uint hostId)
    {
        hostId = 0;
        if (containerId < 0 || containerId >= Size)
            return false;
        hostId = (uint)(HostIdBase + containerId);
        return true;
    }

    /// <summary>"BASE-SIZE": names the store's tree unpacked for this range.</summary>
    public string DirectorySuffix => $"{HostIdBase}-{Size}";

    /// <summary>"BASE:SIZE", the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => $"{HostIdBase}:{Size}";

    /// <summary>Reads "BASE:SIZE" (e.g. <c>100000:65536</c>).</summary>
    /// <exception cref="FormatException">Anything else, or a range <see cref="IdMapping(uint, uint)"/>
    /// refuses.</exception>
    public static IdMapping Parse(string text)
    {
        var parts = text.Split(':');
        if (
            parts.Length != 2
            || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hostIdBase)
            || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
        )
            throw new FormatException($"'{text}' is not two whole numbers separated by ':'");
        try
        {
            return new IdMapping(hostIdBase, size);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"'{text}': {e.Message.Split(" (Parameter", 2)[0]}", e);
        }
    }
}
