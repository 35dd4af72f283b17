using Hearth.Sandbox.Oci.References;

namespace Hearth.Sandbox.Oci.Registry;

/// <summary>A reference resolved to one platform's manifest.</summary>
/// <param name="Reference">What the user asked for.</param>
/// <param name="ManifestDigest">Digest of the platform manifest (the image's identity in the store).</param>
/// <param name="ManifestMediaType">OCI or Docker manifest media type.</param>
/// <param name="ManifestBytes">The manifest exactly as served (its digest is
/// <paramref name="ManifestDigest"/>).</param>
/// <param name="IndexDigest">Digest of the index or manifest list it was selected from, if any.</param>
public sealed record ResolvedImage(
    ImageReference Reference,
    Digest ManifestDigest,
    string ManifestMediaType,
    byte[] ManifestBytes,
    ImageManifest Manifest,
    Digest? IndexDigest
);
