using Hearth.Sandbox.Oci.Images;

namespace Hearth.Cli.Client;

/// <summary>An image of the local store as <c>hearth images list --output json</c> prints it.</summary>
public sealed record LocalImageView(
    string Digest,
    string ConfigDigest,
    IReadOnlyList<string> References,
    long Size,
    DateTimeOffset PulledAt
)
{
    public static LocalImageView From(StoredImage image) =>
        new(
            image.ManifestDigest.ToString(),
            image.ConfigDigest.ToString(),
            image.References,
            image.Size,
            image.PulledAt
        );
}

/// <summary><c>hearth images list --output json</c>: the store's images under a named list.</summary>
public sealed record LocalImageListView(IReadOnlyList<LocalImageView> Images);
