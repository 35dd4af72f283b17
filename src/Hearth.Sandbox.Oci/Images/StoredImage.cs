using Hearth.Sandbox.Oci.References;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Images;

/// <summary>An image present in the store, unpacked and ready to run.</summary>
/// <param name="ManifestDigest">The image's identity.</param>
/// <param name="ConfigDigest">Digest of its config blob (Docker's "image id").</param>
/// <param name="Config">Entrypoint, Cmd, Env, … as the image states them: untrusted.</param>
/// <param name="RootfsPath">The unpacked, flattened layers. Treat as read-only.</param>
/// <param name="References">Names that point at it, e.g. <c>127.0.0.1:5000/test:1</c>.</param>
/// <param name="Size">Sum of the compressed layer sizes.</param>
/// <param name="PulledAt">When it was unpacked.</param>
public sealed record StoredImage(
    Digest ManifestDigest,
    Digest ConfigDigest,
    ImageConfigFile Config,
    string RootfsPath,
    IReadOnlyList<string> References,
    long Size,
    DateTimeOffset PulledAt
);
