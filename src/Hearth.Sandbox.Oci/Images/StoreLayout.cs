using Hearth.Sandbox.Oci.References;

namespace Hearth.Sandbox.Oci.Images;

/// <summary>
/// The on-disk layout of an image store:
/// <code>
/// blobs/sha256/HEX            manifests, configs and compressed layers, named by digest
/// downloads/HEX.partial       blobs being downloaded (kept for resume)
/// images/HEX/                 one image per manifest digest: image.json, manifest.json, config.json and its trees:
///   rootfs/                   the layers unpacked with the ids they name
///   rootfs-BASE-SIZE/         the layers unpacked with every id shifted into a user namespace's range (IdMapping)
///   .tmp-rootfs-*/            trees being unpacked for an image already stored
/// images/.tmp-*/              images being unpacked
/// refs.json                   tag or digest reference -> manifest digest
/// leases/ID                   images in use by a sandbox (GC keeps them); contents = manifest digest
/// </code>
/// </summary>
internal sealed class StoreLayout(string root)
{
    public string Root { get; } = Path.GetFullPath(root);
    public string Blobs => Path.Combine(Root, "blobs");
    public string Downloads => Path.Combine(Root, "downloads");
    public string Images => Path.Combine(Root, "images");
    public string Leases => Path.Combine(Root, "leases");
    public string Refs => Path.Combine(Root, "refs.json");
    public string RefsLock => Path.Combine(Root, "refs.lock");

    public string Blob(Digest digest) => Path.Combine(Blobs, digest.Algorithm, digest.Hex);

    public string Partial(Digest digest) => Path.Combine(Downloads, $"{digest.Algorithm}-{digest.Hex}.partial");

    public string Image(Digest manifest) => Path.Combine(Images, manifest.Hex);

    /// <summary>
    /// The image's tree for <paramref name="ids"/> (null: unshifted). Trees cannot be shared between ranges: ownership
    /// differs.
    /// </summary>
    public string Rootfs(Digest manifest, IdMapping? ids) => Path.Combine(Image(manifest), RootfsName(ids));

    public static string RootfsName(IdMapping? ids) => ids is null ? "rootfs" : $"rootfs-{ids.DirectorySuffix}";

    public string Lease(string holder) => Path.Combine(Leases, holder);

    public void EnsureCreated()
    {
        foreach (
            var directory in new[]
            {
                Root,
                Path.Combine(Blobs, "sha256"),
                Path.Combine(Blobs, "sha512"),
                Downloads,
                Images,
                Leases,
            }
        )
            Directory.CreateDirectory(directory);
    }
}
