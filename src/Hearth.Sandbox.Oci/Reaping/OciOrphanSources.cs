using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Reaping;

/// <summary>The sources for what the oci driver makes, for the options it runs with.</summary>
public static class OciOrphanSources
{
    public static IReadOnlyList<IOrphanSource> Create(
        OciDriverOptions options,
        string? imageStoreRoot,
        TimeProvider time
    )
    {
        var sources = new List<IOrphanSource>
        {
            new OciContainers(options.StateRoot),
            new OciMounts(options.UserNamespaceMountRoot),
            new BridgeLeftovers(options.Network, time),
            new MountDirectories(options.UserNamespaceMountRoot),
        };
        if (imageStoreRoot is not null)
            sources.Add(new ImageLeases(imageStoreRoot));
        return sources;
    }
}
