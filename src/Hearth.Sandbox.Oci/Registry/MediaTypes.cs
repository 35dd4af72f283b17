namespace Hearth.Sandbox.Oci.Registry;

/// <summary>The manifest and layer media types Hearth understands (OCI image spec and Docker schema 2).</summary>
public static class MediaTypes
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    public static readonly IReadOnlyList<string> AcceptedManifests =
    [
        OciIndex,
        OciManifest,
        DockerManifestList,
        DockerManifest,
    ];

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    public static LayerCompression LayerCompressionOf(string mediaType) =>
        mediaType switch
        {
            OciLayer or "application/vnd.oci.image.layer.nondistributable.v1.tar" => LayerCompression.None,
            OciLayerGzip or DockerLayerGzip or "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" =>
                LayerCompression.Gzip,
            OciLayerZstd => LayerCompression.Zstd,
            _ => throw new RegistryException($"unsupported layer media type '{mediaType}'"),
        };
}

public enum LayerCompression
{
    None,
    Gzip,
    Zstd,
}
