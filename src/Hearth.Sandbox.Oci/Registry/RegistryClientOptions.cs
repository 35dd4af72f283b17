namespace Hearth.Sandbox.Oci.Registry;

public sealed record RegistryClientOptions
{
    /// <summary>
    /// Registries spoken to over plain HTTP. Loopback registries (localhost, 127.0.0.1, [::1]) always are,
    /// as with Docker.
    /// </summary>
    public IReadOnlySet<string> PlainHttpRegistries { get; init; } = new HashSet<string>();

    /// <summary>
    /// Mirrors tried in order before the registry itself, keyed by registry (e.g. "docker.io"),
    /// each a base URI such as "https://mirror.example:5000". A mirror that fails falls through to the next.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Uri>> Mirrors { get; init; } =
        new Dictionary<string, IReadOnlyList<Uri>>();

    /// <summary>Manifests and configs larger than this are refused (they are read into memory).</summary>
    public long MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How often a broken blob download is resumed (HTTP Range) before giving up.</summary>
    public int BlobResumeAttempts { get; init; } = 3;
}
