using System.Text.Json;
using System.Text.RegularExpressions;
using Hearth.Sandbox.Oci.References;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Images;

/// <summary>
/// Content-addressed image store: pulls images through a <see cref="RegistryClient"/>, keeps verified blobs by
/// digest, unpacks each image's layers (in order, with whiteouts, refusing unsafe entries) into one read-only
/// rootfs per manifest, tags references, leases images to running sandboxes and collects unused ones.
/// Pulls of the same image or layer running at the same time share one download.
/// </summary>
public sealed partial class ImageStore
{
    private readonly ImageStoreOptions _options;
    private readonly RegistryClient _registry;
    private readonly TimeProvider _time;
    private readonly StoreLayout _layout;
    private readonly ReferenceIndex _refs;
    private readonly SingleFlight _blobFlights = new();
    private readonly SingleFlight _imageFlights = new();
    private readonly SingleFlight _rootfsFlights = new();

    public ImageStore(ImageStoreOptions options, RegistryClient registry, TimeProvider time)
    {
        _options = options;
        _registry = registry;
        _time = time;
        _layout = new StoreLayout(options.RootDirectory);
        _layout.EnsureCreated();
        _refs = new ReferenceIndex(_layout, time);
    }

    public string RootDirectory => _layout.Root;

    /// <summary>
    /// Pulls <paramref name="reference"/> (e.g. <c>127.0.0.1:5000/app:1</c> or <c>app@sha256:…</c>) and tags it.
    /// </summary>
    public Task<StoredImage> PullAsync(
        string reference,
        IProgress<PullProgress>? progress,
        CancellationToken cancellationToken
    ) => PullAsync(reference, ids: null, progress, cancellationToken);

    /// <summary>
    /// Pulls <paramref name="reference"/> and tags it; its tree is unpacked for <paramref name="ids"/>, the user
    /// namespace range it will run in (null: ids as the image names them). Another range's tree is unpacked when first
    /// asked for.
    /// </summary>
    public async Task<StoredImage> PullAsync(
        string reference,
        IdMapping? ids,
        IProgress<PullProgress>? progress,
        CancellationToken cancellationToken
    )
    {
        var parsed = ImageReference.Parse(reference);
        var resolved = await _registry.ResolveAsync(parsed, _options.Platform, cancellationToken);
        var tracker = new PullTracker(resolved.Manifest.Layers, progress);
        tracker.Resolved();

        var key = resolved.ManifestDigest.ToString();
        await _imageFlights.RunAsync(
            key,
            (_, ct) => EnsureImageAsync(resolved, ids, tracker, ct),
            progress: null,
            joined: null,
            cancellationToken
        );
        // A joined pull may have been reported by the other caller's tracker; make this one's totals whole.
        tracker.CompleteAll();
        // A joined pull may have unpacked the image for another range.
        await EnsureRootfsAsync(resolved.ManifestDigest, ids, cancellationToken);

        await _refs.UpdateAsync(refs => refs[parsed.ToString()] = resolved.ManifestDigest, cancellationToken);
        var image = await LoadAsync(resolved.ManifestDigest, ids, cancellationToken)
            ?? throw new RegistryException($"image {resolved.ManifestDigest} vanished right after it was pulled");
        tracker.Complete();
        return image;
    }

    /// <summary>The local image a reference (or a bare manifest digest) names, or null.</summary>
    public Task<StoredImage?> FindAsync(string reference, CancellationToken cancellationToken) =>
        FindAsync(reference, ids: null, cancellationToken);

    /// <summary>
    /// The local image a reference (or a bare manifest digest) names, or null; its <see cref="StoredImage.RootfsPath"/>
    /// is the tree for <paramref name="ids"/>, which exists once a pull or
    /// <see cref="GetAsync(string, ImagePullPolicy, IdMapping?, IProgress{PullProgress}?, CancellationToken)"/> asked
    /// for that range.
    /// </summary>
    public async Task<StoredImage?> FindAsync(string reference, IdMapping? ids, CancellationToken cancellationToken)
    {
        var digest = await ResolveLocalAsync(reference, cancellationToken);
        return digest is null ? null : await LoadAsync(digest.Value, ids, cancellationToken);
    }

    /// <summary>The local image, pulling it first when it is not here.</summary>
    public async Task<StoredImage> GetOrPullAsync(
        string reference,
        IProgress<PullProgress>? progress,
        CancellationToken cancellationToken
    ) => await GetAsync(reference, ImagePullPolicy.Missing, progress, cancellationToken);

    /// <summary>
    /// The image for a run under <paramref name="policy"/>. A stored name@digest is used as it is even under
    /// <see cref="ImagePullPolicy.Always"/>: its content cannot have changed.
    /// </summary>
    /// <exception cref="ImageNotStoredException">Under <see cref="ImagePullPolicy.Never"/>, when the store does not
    /// have it.</exception>
    public Task<StoredImage> GetAsync(
        string reference,
        ImagePullPolicy policy,
        IProgress<PullProgress>? progress,
        CancellationToken cancellationToken
    ) => GetAsync(reference, policy, ids: null, progress, cancellationToken);

    /// <summary>
    /// As <see cref="GetAsync(string, ImagePullPolicy, IProgress{PullProgress}?, CancellationToken)"/>, with the tree
    /// for the user namespace range <paramref name="ids"/>: a stored image not yet unpacked for that range is unpacked
    /// from its stored layers (no registry request).
    /// </summary>
    public async Task<StoredImage> GetAsync(
        string reference,
        ImagePullPolicy policy,
        IdMapping? ids,
        IProgress<PullProgress>? progress,
        CancellationToken cancellationToken
    )
    {
        var pinned =
            Digest.TryParse(reference, out _)
            || (ImageReference.TryParse(reference, out var parsed, out _) && parsed.Digest is not null);
        if (policy != ImagePullPolicy.Always || pinned)
        {
            if (await FindAsync(reference, ids, cancellationToken) is { } stored)
            {
                await EnsureRootfsAsync(stored.ManifestDigest, ids, cancellationToken);
                return stored;
            }
            if (policy == ImagePullPolicy.Never)
                throw new ImageNotStoredException(
                    $"image {reference} is not in the store and the pull policy is never"
                );
        }
        return await PullAsync(reference, ids, progress, cancellationToken);
    }

    /// <summary>Every unpacked image with the references that name it (untagged ones included).</summary>
    public async Task<IReadOnlyList<StoredImage>> ListAsync(CancellationToken cancellationToken)
    {
        var images = new List<StoredImage>();
        foreach (var directory in Directory.EnumerateDirectories(_layout.Images))
        {
            var name = Path.GetFileName(directory);
            if (!Digest.TryParse("sha256:" + name, out var digest))
                continue;
            if (await LoadAsync(digest, ids: null, cancellationToken) is { } image)
                images.Add(image);
        }
        return images.OrderByDescending(i => i.PulledAt).ToList();
    }

    /// <summary>
    /// Removes a reference (or, given a manifest digest, every reference to it). The image's files go at the
    /// next <see cref="CollectGarbageAsync"/>. Returns how many references were removed.
    /// </summary>
    public async Task<int> RemoveAsync(string reference, CancellationToken cancellationToken)
    {
        if (Digest.TryParse(reference, out var digest))
            return await _refs.UpdateAsync(
                refs =>
                {
                    var names = refs.Where(r => r.Value == digest).Select(r => r.Key).ToList();
                    foreach (var name in names)
                        refs.Remove(name);
                    return names.Count;
                },
                cancellationToken
            );
        var canonical = ImageReference.Parse(reference).ToString();
        return await _refs.UpdateAsync(refs => refs.Remove(canonical) ? 1 : 0, cancellationToken);
    }

    /// <summary>Keeps <paramref name="image"/> from garbage collection until the lease is disposed.</summary>
    public ImageLease AcquireLease(StoredImage image, string holder)
    {
        if (!HolderPattern().IsMatch(holder))
            throw new ArgumentException($"invalid lease holder '{holder}'", nameof(holder));
        var path = _layout.Lease(holder);
        File.WriteAllText(path, image.ManifestDigest.ToString());
        return new ImageLease(path, image);
    }

    /// <summary>
    /// Deletes images (every tree of each, whatever its id range) no reference or lease names, then blobs no remaining
    /// image uses. Work in flight (pulls, unpacks) is left alone.
    /// </summary>
    public async Task<GarbageCollection> CollectGarbageAsync(CancellationToken cancellationToken)
    {
        var keep = new HashSet<Digest>((await _refs.ReadAsync(cancellationToken)).Values);
        foreach (var lease in Directory.EnumerateFiles(_layout.Leases))
            if (Digest.TryParse(File.ReadAllText(lease).Trim(), out var leased))
                keep.Add(leased);

        var removedImages = new List<string>();
        long reclaimed = 0;
        var keptBlobs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories(_layout.Images))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(directory);
            if (!Digest.TryParse("sha256:" + name, out var digest))
                continue; // .tmp-* belong to pulls in flight
            if (
                keep.Contains(digest)
                || _imageFlights.IsInFlight(digest.ToString())
                || _rootfsFlights.IsInFlight(k => k.StartsWith(digest.ToString() + " ", StringComparison.Ordinal))
            )
            {
                keptBlobs.Add(digest.ToString());
                var manifest = ReadManifest(directory);
                if (manifest is not null)
                {
                    keptBlobs.Add(manifest.Config.Digest);
                    foreach (var layer in manifest.Layers)
                        keptBlobs.Add(layer.Digest);
                }
                continue;
            }
            // Rename first so a half-deleted image never looks complete.
            var doomed = Path.Combine(_layout.Images, $".gc-{name}-{Guid.NewGuid():N}");
            Directory.Move(directory, doomed);
            Directory.Delete(doomed, recursive: true);
            removedImages.Add(digest.ToString());
        }

        var removedBlobs = 0;
        foreach (var algorithmDirectory in Directory.EnumerateDirectories(_layout.Blobs))
        {
            var algorithm = Path.GetFileName(algorithmDirectory);
            foreach (var blob in Directory.EnumerateFiles(algorithmDirectory))
            {
                var digest = $"{algorithm}:{Path.GetFileName(blob)}";
                if (keptBlobs.Contains(digest) || _blobFlights.IsInFlight(digest))
                    continue;
                reclaimed += new FileInfo(blob).Length;
                File.Delete(blob);
                removedBlobs++;
            }
        }
        return new GarbageCollection(removedImages, removedBlobs, reclaimed);
    }

    private async Task EnsureImageAsync(
        ResolvedImage resolved,
        IdMapping? ids,
        PullTracker tracker,
        CancellationToken cancellationToken
    )
    {
        var imageDirectory = _layout.Image(resolved.ManifestDigest);
        if (File.Exists(Path.Combine(imageDirectory, "image.json")))
        {
            tracker.CompleteAll();
            return;
        }
        var unpacker = NewUnpacker(ids);

        var configBytes = await GetConfigAsync(resolved, cancellationToken);
        var config = JsonSerializer.Deserialize(configBytes, OciJsonContext.Default.ImageConfigFile)
            ?? throw new RegistryException($"{resolved.Reference}: empty image config");
        var diffIds = config.RootFs?.DiffIds ?? [];
        if (diffIds.Count != resolved.Manifest.Layers.Count)
            throw new RegistryException(
                $"{resolved.Reference}: config lists {diffIds.Count} diff_ids for {resolved.Manifest.Layers.Count} layers"
            );

        await DownloadLayersAsync(resolved, tracker, cancellationToken);

        var staging = Path.Combine(_layout.Images, $".tmp-{resolved.ManifestDigest.Hex}-{Guid.NewGuid():N}");
        var rootfs = Path.Combine(staging, StoreLayout.RootfsName(ids));
        Directory.CreateDirectory(rootfs);
        try
        {
            for (var i = 0; i < resolved.Manifest.Layers.Count; i++)
            {
                var layer = resolved.Manifest.Layers[i];
                tracker.Extracting(layer);
                await ApplyLayerAsync(layer, diffIds[i], rootfs, unpacker, cancellationToken);
            }
            await File.WriteAllBytesAsync(
                Path.Combine(staging, "manifest.json"),
                resolved.ManifestBytes,
                cancellationToken
            );
            await File.WriteAllBytesAsync(Path.Combine(staging, "config.json"), configBytes, cancellationToken);
            var record = new ImageRecord(
                resolved.ManifestDigest.ToString(),
                resolved.Manifest.Config.Digest,
                resolved.ManifestMediaType,
                resolved.Manifest.Layers.Sum(l => l.Size),
                _time.GetUtcNow()
            );
            await File.WriteAllTextAsync(
                Path.Combine(staging, "image.json"),
                JsonSerializer.Serialize(record, OciJsonContext.Default.ImageRecord),
                cancellationToken
            );
            await WriteBlobAsync(resolved.ManifestDigest, resolved.ManifestBytes, cancellationToken);
            if (Directory.Exists(imageDirectory))
                Directory.Delete(imageDirectory, recursive: true);
            Directory.Move(staging, imageDirectory);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Unpacks the stored image's layers for <paramref name="ids"/> unless that tree exists (once per process at a
    /// time).
    /// </summary>
    private async Task EnsureRootfsAsync(Digest manifestDigest, IdMapping? ids, CancellationToken cancellationToken)
    {
        if (Directory.Exists(_layout.Rootfs(manifestDigest, ids)))
            return;
        await _rootfsFlights.RunAsync(
            $"{manifestDigest} {StoreLayout.RootfsName(ids)}",
            (_, ct) => UnpackRootfsAsync(manifestDigest, ids, ct),
            progress: null,
            joined: null,
            cancellationToken
        );
    }

    private async Task UnpackRootfsAsync(Digest manifestDigest, IdMapping? ids, CancellationToken cancellationToken)
    {
        var target = _layout.Rootfs(manifestDigest, ids);
        if (Directory.Exists(target))
            return;
        var imageDirectory = _layout.Image(manifestDigest);
        var manifest = ReadManifest(imageDirectory)
            ?? throw new RegistryException($"image {manifestDigest} has no manifest in the store; pull it again");
        var config = JsonSerializer.Deserialize(
            await File.ReadAllBytesAsync(Path.Combine(imageDirectory, "config.json"), cancellationToken),
            OciJsonContext.Default.ImageConfigFile
        );
        var diffIds = config?.RootFs?.DiffIds ?? [];
        if (diffIds.Count != manifest.Layers.Count)
            throw new RegistryException(
                $"image {manifestDigest}: config lists {diffIds.Count} diff_ids for {manifest.Layers.Count} layers"
            );
        foreach (var layer in manifest.Layers)
            if (!File.Exists(_layout.Blob(Digest.Parse(layer.Digest))))
                throw new RegistryException(
                    $"layer {layer.Digest} of image {manifestDigest} is no longer in the store; pull the image again"
                );

        var unpacker = NewUnpacker(ids);
        var staging = Path.Combine(imageDirectory, $".tmp-{StoreLayout.RootfsName(ids)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            for (var i = 0; i < manifest.Layers.Count; i++)
                await ApplyLayerAsync(manifest.Layers[i], diffIds[i], staging, unpacker, cancellationToken);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another process unpacked the same tree first; theirs may be in use, so it stays.
            }
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    private static LayerUnpacker NewUnpacker(IdMapping? ids)
    {
        if (ids is not null && !Environment.IsPrivilegedProcess)
            throw new InvalidOperationException($"unpacking an image for the user namespace range {ids} needs root");
        return new LayerUnpacker(applyOwnership: Environment.IsPrivilegedProcess, ids);
    }

    private async Task<byte[]> GetConfigAsync(ResolvedImage resolved, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(resolved.Manifest.Config.Digest);
        var path = _layout.Blob(digest);
        if (File.Exists(path))
            return await File.ReadAllBytesAsync(path, cancellationToken);
        var bytes = await _registry.GetBlobAsync(resolved.Reference, resolved.Manifest.Config, cancellationToken);
        await WriteBlobAsync(digest, bytes, cancellationToken);
        return bytes;
    }

    private async Task DownloadLayersAsync(
        ResolvedImage resolved,
        PullTracker tracker,
        CancellationToken cancellationToken
    )
    {
        using var slots = new SemaphoreSlim(Math.Max(1, _options.ParallelDownloads));
        var downloads = resolved
            .Manifest.Layers.DistinctBy(l => l.Digest)
            .Select(async layer =>
            {
                await slots.WaitAsync(cancellationToken);
                try
                {
                    var digest = Digest.Parse(layer.Digest);
                    if (File.Exists(_layout.Blob(digest)))
                    {
                        tracker.AlreadyExists(layer);
                        return;
                    }
                    await _blobFlights.RunAsync(
                        digest.ToString(),
                        async (fanout, ct) =>
                        {
                            if (File.Exists(_layout.Blob(digest)))
                                return;
                            var partial = _layout.Partial(digest);
                            await _registry.DownloadBlobAsync(resolved.Reference, layer, partial, fanout, ct);
                            File.Move(partial, _layout.Blob(digest), overwrite: true);
                        },
                        new Progress(bytes => tracker.Downloading(layer, bytes)),
                        () => tracker.Waiting(layer),
                        cancellationToken
                    );
                    tracker.Downloaded(layer);
                }
                finally
                {
                    slots.Release();
                }
            })
            .ToList();
        await Task.WhenAll(downloads);
    }

    private async Task ApplyLayerAsync(
        Descriptor layer,
        string diffId,
        string rootfs,
        LayerUnpacker unpacker,
        CancellationToken cancellationToken
    )
    {
        var compression = MediaTypes.LayerCompressionOf(layer.MediaType);
        await using var blob = new FileStream(
            _layout.Blob(Digest.Parse(layer.Digest)),
            FileMode.Open,
            FileAccess.Read,
            FileShare.Read,
            1 << 16,
            useAsync: true
        );
        await using var hashing = new HashingReadStream(LayerStreams.Decompress(blob, compression));
        await unpacker.ApplyAsync(hashing, rootfs, cancellationToken);
        // Drain the tar's trailing padding so the diff_id covers the whole stream.
        await hashing.CopyToAsync(Stream.Null, cancellationToken);
        var actual = Digest.FromHash("sha256", hashing.Finish());
        if (actual.ToString() != diffId)
            throw new DigestMismatchException(
                $"layer {layer.Digest} unpacks to {actual}, but the config says {diffId}"
            );
    }

    private async Task WriteBlobAsync(Digest digest, byte[] bytes, CancellationToken cancellationToken)
    {
        var path = _layout.Blob(digest);
        if (File.Exists(path))
            return;
        var temporary = $"{_layout.Partial(digest)}.{Guid.NewGuid():N}";
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    private async Task<Digest?> ResolveLocalAsync(string reference, CancellationToken cancellationToken)
    {
        if (Digest.TryParse(reference, out var bare))
            return bare;
        if (!ImageReference.TryParse(reference, out var parsed, out _))
            return null;
        var refs = await _refs.ReadAsync(cancellationToken);
        if (refs.TryGetValue(parsed.ToString(), out var digest))
            return digest;
        // name@digest is found by its digest even when pulled under a tag.
        if (parsed.Digest is { } pinned && Directory.Exists(_layout.Image(pinned)))
            return pinned;
        return null;
    }

    private async Task<StoredImage?> LoadAsync(
        Digest manifestDigest,
        IdMapping? ids,
        CancellationToken cancellationToken
    )
    {
        var directory = _layout.Image(manifestDigest);
        var recordPath = Path.Combine(directory, "image.json");
        if (!File.Exists(recordPath))
            return null;
        var record = JsonSerializer.Deserialize(
            await File.ReadAllTextAsync(recordPath, cancellationToken),
            OciJsonContext.Default.ImageRecord
        )!;
        var config = JsonSerializer.Deserialize(
            await File.ReadAllBytesAsync(Path.Combine(directory, "config.json"), cancellationToken),
            OciJsonContext.Default.ImageConfigFile
        )!;
        var refs = await _refs.ReadAsync(cancellationToken);
        var names = refs.Where(r => r.Value == manifestDigest)
            .Select(r => r.Key)
            .Order(StringComparer.Ordinal)
            .ToList();
        return new StoredImage(
            manifestDigest,
            Digest.Parse(record.ConfigDigest),
            config,
            _layout.Rootfs(manifestDigest, ids),
            names,
            record.Size,
            record.PulledAt
        );
    }

    private static ImageManifest? ReadManifest(string imageDirectory)
    {
        var path = Path.Combine(imageDirectory, "manifest.json");
        return File.Exists(path)
            ? JsonSerializer.Deserialize(File.ReadAllBytes(path), OciJsonContext.Default.ImageManifest)
            : null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex HolderPattern();

    internal sealed record ImageRecord(
        string ManifestDigest,
        string ConfigDigest,
        string MediaType,
        long Size,
        DateTimeOffset PulledAt
    );

    private sealed class Progress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
