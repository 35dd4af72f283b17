namespace Hearth.Sandbox.Oci.Images;

/// <summary>What a garbage collection removed.</summary>
public sealed record GarbageCollection(IReadOnlyList<string> RemovedImages, int RemovedBlobs, long ReclaimedBytes);
