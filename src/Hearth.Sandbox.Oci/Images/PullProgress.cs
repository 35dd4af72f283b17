namespace Hearth.Sandbox.Oci.Images;

public enum PullPhase
{
    /// <summary>The reference was resolved to a manifest; totals are known.</summary>
    Resolved,

    /// <summary>The layer is already in the store.</summary>
    AlreadyExists,

    /// <summary>Another pull is fetching the same layer; this one waits for it.</summary>
    Waiting,
    Downloading,

    /// <summary>Downloaded and digest-verified.</summary>
    Downloaded,
    Extracting,

    /// <summary>The image is unpacked and tagged.</summary>
    Complete,
}

/// <summary>
/// One progress event of a pull, enough to draw <c>docker pull</c>-style lines:
/// per layer (<see cref="Layer"/> set) its bytes, and overall bytes and finished layers.
/// </summary>
/// <param name="Phase">What happened.</param>
/// <param name="Layer">Layer digest, or null for image-wide events.</param>
/// <param name="LayerBytes">Bytes of this layer held so far.</param>
/// <param name="LayerSize">Compressed size of this layer.</param>
/// <param name="TotalBytes">Bytes of all layers held so far.</param>
/// <param name="TotalSize">Compressed size of all layers.</param>
/// <param name="LayersDone">Layers downloaded (or already present).</param>
/// <param name="LayerCount">Layers in the image.</param>
public sealed record PullProgress(
    PullPhase Phase,
    string? Layer,
    long LayerBytes,
    long LayerSize,
    long TotalBytes,
    long TotalSize,
    int LayersDone,
    int LayerCount
);
