using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Images;

public sealed record ImageStoreOptions
{
    /// <summary>Where blobs, unpacked images, tags and leases live, e.g. <c>/var/lib/hearth/oci</c>.</summary>
    public required string RootDirectory { get; init; }

    /// <summary>Which entry of a multi-platform index to pull. Defaults to this host.</summary>
    public Platform Platform { get; init; } = Platform.Current;

    /// <summary>Layers downloaded at once per pull.</summary>
    public int ParallelDownloads { get; init; } = 3;
}
