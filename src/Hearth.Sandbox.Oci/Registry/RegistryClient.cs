using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Hearth.Sandbox.Oci.References;

namespace Hearth.Sandbox.Oci.Registry;

/// <summary>
/// A client for the OCI distribution API (v2): resolves references to a platform manifest and downloads
/// blobs with digest verification and resume. Anonymous, Basic and Bearer-token auth; mirrors; plain HTTP
/// for loopback registries.
/// </summary>
public sealed class RegistryClient
{
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly ICredentialProvider _credentials;
    private readonly RegistryAuthenticator _authenticator;

    public RegistryClient(
        HttpClient http,
        RegistryClientOptions options,
        ICredentialProvider credentials,
        TimeProvider time
    )
    {
        _http = http;
        _options = options;
        _credentials = credentials;
        _authenticator = new RegistryAuthenticator(http, credentials, time);
    }

    /// <summary>
    /// Fetches the manifest for <paramref name="reference"/>; an index is narrowed to <paramref name="platform"/>.
    /// </summary>
    public async Task<ResolvedImage> ResolveAsync(
        ImageReference reference,
        Platform platform,
        CancellationToken cancellationToken
    )
    {
        var (bytes, mediaType, digest) = await FetchManifestAsync(
            reference,
            reference.ManifestReference,
            cancellationToken
        );
        if (reference.Digest is { } pinned && pinned != digest)
            throw new DigestMismatchException($"manifest for {reference} has digest {digest}, expected {pinned}");

        Digest? indexDigest = null;
        if (MediaTypes.IsIndex(mediaType))
        {
            var index = Deserialize<ImageIndex>(bytes, "image index");
            var chosen = index.Manifests.FirstOrDefault(m =>
                MediaTypes.IsManifest(m.MediaType) && platform.Accepts(m.Platform)
            )
                ?? throw new RegistryException(
                    $"{reference} has no image for {platform}; it offers "
                        + string.Join(", ", index.Manifests.Select(m => m.Platform?.ToString() ?? "?"))
                );
            var chosenDigest = ParseDigest(chosen.Digest, "index entry");
            indexDigest = digest;
            (bytes, mediaType, digest) = await FetchManifestAsync(
                reference,
                chosenDigest.ToString(),
                cancellationToken
            );
            if (digest != chosenDigest || bytes.LongLength != chosen.Size)
                throw new DigestMismatchException(
                    $"manifest {chosenDigest} of {reference} does not match its index entry"
                );
        }

        if (!MediaTypes.IsManifest(mediaType))
            throw new RegistryException($"{reference}: unsupported manifest type '{mediaType}'");
        var manifest = Deserialize<ImageManifest>(bytes, "image manifest");
        if (manifest.SchemaVersion != 2)
            throw new RegistryException($"{reference}: unsupported manifest schemaVersion {manifest.SchemaVersion}");
        ParseDigest(manifest.Config.Digest, "config");
        foreach (var layer in manifest.Layers)
        {
            ParseDigest(layer.Digest, "layer");
            MediaTypes.LayerCompressionOf(layer.MediaType);
            if (layer.Size < 0)
                throw new RegistryException($"{reference}: layer {layer.Digest} has a negative size");
        }
        return new ResolvedImage(reference, digest, mediaType, bytes, manifest, indexDigest);
    }

    /// <summary>Downloads a small blob (an image config) into memory and verifies it.</summary>
    public async Task<byte[]> GetBlobAsync(
        ImageReference repository,
        Descriptor descriptor,
        CancellationToken cancellationToken
    )
    {
        if (descriptor.Size > _options.MaxManifestBytes)
            throw new RegistryException(
                $"blob {descriptor.Digest} is too large to read into memory ({descriptor.Size} bytes)"
            );
        var digest = ParseDigest(descriptor.Digest, "blob");
        using var response = await SendAsync(
            repository,
            () => new HttpRequestMessage(HttpMethod.Get, BlobPath(repository, digest)),
            cancellationToken
        );
        var bytes = await ReadBoundedAsync(response.Content, _options.MaxManifestBytes, cancellationToken);
        Verify(bytes, digest, descriptor.Size);
        return bytes;
    }

    /// <summary>
    /// Downloads a blob into <paramref name="partialPath"/>, continuing from what is already there (HTTP Range),
    /// and verifies its size and digest. On a mismatch the partial file is deleted.
    /// <paramref name="progress"/> receives the total bytes held so far.
    /// </summary>
    public async Task DownloadBlobAsync(
        ImageReference repository,
        Descriptor descriptor,
        string partialPath,
        IProgress<long>? progress,
        CancellationToken cancellationToken
    )
    {
        var digest = ParseDigest(descriptor.Digest, "blob");
        using var hasher = digest.CreateHasher();
        await using (
            var file = new FileStream(
                partialPath,
                FileMode.OpenOrCreate,
                FileAccess.ReadWrite,
                FileShare.None,
                1 << 16,
                useAsync: true
            )
        )
        {
            await HashExistingAsync(file, hasher, descriptor.Size, cancellationToken);
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await ContinueDownloadAsync(
                        repository,
                        digest,
                        descriptor.Size,
                        file,
                        hasher,
                        progress,
                        cancellationToken
                    );
                    break;
                }
                catch (Exception e)
                    when (e is IOException or HttpRequestException
                        && !cancellationToken.IsCancellationRequested
                        && attempt < _options.BlobResumeAttempts
                        && file.Length < descriptor.Size
                    )
                {
                    // Resume from what we have.
                }
            }
        }

        var actual = Digest.FromHash(digest.Algorithm, hasher.GetHashAndReset());
        var length = new FileInfo(partialPath).Length;
        if (actual != digest || length != descriptor.Size)
        {
            File.Delete(partialPath);
            throw new DigestMismatchException(
                $"blob {digest} of {repository} failed verification (got {actual}, {length} bytes)"
            );
        }
    }

    private async Task ContinueDownloadAsync(
        ImageReference repository,
        Digest digest,
        long size,
        FileStream file,
        System.Security.Cryptography.IncrementalHash hasher,
        IProgress<long>? progress,
        CancellationToken cancellationToken
    )
    {
        if (file.Length >= size)
            return;
        var offset = file.Length;
        using var response = await SendAsync(
            repository,
            () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, BlobPath(repository, digest));
                if (offset > 0)
                    request.Headers.Range = new RangeHeaderValue(offset, null);
                return request;
            },
            cancellationToken
        );

        if (offset > 0 && response.StatusCode != HttpStatusCode.PartialContent)
        {
            // The server ignored the range: start over.
            file.SetLength(0);
            hasher.GetHashAndReset();
            offset = 0;
        }
        file.Seek(offset, SeekOrigin.Begin);
        progress?.Report(offset);

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[1 << 16];
        var total = offset;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > size)
                throw new DigestMismatchException($"blob {digest} is larger than its descriptor says ({size} bytes)");
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            hasher.AppendData(buffer, 0, read);
            progress?.Report(total);
        }
        await file.FlushAsync(cancellationToken);
        if (total < size)
            throw new IOException($"blob {digest} ended after {total} of {size} bytes");
    }

    private static async Task HashExistingAsync(
        FileStream file,
        System.Security.Cryptography.IncrementalHash hasher,
        long size,
        CancellationToken cancellationToken
    )
    {
        if (file.Length > size)
            file.SetLength(0);
        var buffer = new byte[1 << 16];
        file.Seek(0, SeekOrigin.Begin);
        int read;
        while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0)
            hasher.AppendData(buffer, 0, read);
    }

    private async Task<(byte[] Bytes, string MediaType, Digest Digest)> FetchManifestAsync(
        ImageReference reference,
        string tagOrDigest,
        CancellationToken cancellationToken
    )
    {
        using var response = await SendAsync(
            reference,
            () =>
            {
                var request = new HttpRequestMessage(
                    HttpMethod.Get,
                    $"v2/{reference.Repository}/manifests/{tagOrDigest}"
                );
                foreach (var type in MediaTypes.AcceptedManifests)
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
                return request;
            },
            cancellationToken
        );
        var bytes = await ReadBoundedAsync(response.Content, _options.MaxManifestBytes, cancellationToken);
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !MediaTypes.AcceptedManifests.Contains(mediaType))
            mediaType = SniffMediaType(bytes);
        var digest = Digest.Sha256(bytes);
        if (Digest.TryParse(tagOrDigest, out var asked) && asked != digest)
            throw new DigestMismatchException($"manifest {asked} of {reference.Repository} has digest {digest}");
        return (bytes, mediaType, digest);
    }

    private async Task<HttpResponseMessage> SendAsync(
        ImageReference repository,
        Func<HttpRequestMessage> createRequest,
        CancellationToken cancellationToken
    )
    {
        Exception? last = null;
        foreach (var endpoint in Endpoints(repository))
        {
            try
            {
                return await SendToAsync(endpoint, repository, createRequest, cancellationToken);
            }
            catch (Exception e)
                when (e is HttpRequestException or RegistryException && !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }
        }
        throw last switch
        {
            RegistryException r => r,
            not null => new RegistryException($"registry {repository.Registry} unreachable: {last.Message}", last),
            _ => new RegistryException($"no endpoint for {repository.Registry}"),
        };
    }

    private async Task<HttpResponseMessage> SendToAsync(
        Endpoint endpoint,
        ImageReference repository,
        Func<HttpRequestMessage> createRequest,
        CancellationToken cancellationToken
    )
    {
        var key = $"{endpoint.BaseUri.Authority}|{repository.Repository}";
        var defaultScope = $"repository:{repository.Repository}:pull";
        for (var attempt = 0; ; attempt++)
        {
            using var request = createRequest();
            request.RequestUri = new Uri(endpoint.BaseUri, request.RequestUri!);
            request.Headers.Authorization = _authenticator.Cached(key);
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                var challenge = AuthChallenge.Parse(response.Headers.WwwAuthenticate.ToString());
                response.Dispose();
                if (challenge is null)
                    throw new RegistryAuthException(
                        $"registry {endpoint.CredentialsHost} refused access without a challenge"
                    );
                await _authenticator.AnswerAsync(
                    challenge,
                    endpoint.CredentialsHost,
                    defaultScope,
                    key,
                    cancellationToken
                );
                continue;
            }
            if (response.IsSuccessStatusCode)
                return response;
            using (response)
            {
                var detail = await ReadErrorAsync(response, cancellationToken);
                var what = $"{request.Method} {request.RequestUri.AbsolutePath}";
                throw response.StatusCode switch
                {
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new RegistryAuthException(
                        $"registry {endpoint.CredentialsHost} denied {what}: {detail}"
                    ),
                    HttpStatusCode.NotFound => new RegistryException(
                        $"not found: {what} on {endpoint.CredentialsHost}: {detail}"
                    ),
                    _ => new RegistryException(
                        $"registry {endpoint.CredentialsHost} answered {(int)response.StatusCode} to {what}: {detail}"
                    ),
                };
            }
        }
    }

    private IEnumerable<Endpoint> Endpoints(ImageReference reference)
    {
        if (_options.Mirrors.TryGetValue(reference.Registry, out var mirrors))
            foreach (var mirror in mirrors)
                yield return new Endpoint(new Uri(mirror.GetLeftPart(UriPartial.Authority) + "/"), mirror.Authority);
        var scheme = IsPlainHttp(reference.Registry) ? "http" : "https";
        yield return new Endpoint(new Uri($"{scheme}://{reference.ApiHost}/"), reference.Registry);
    }

    private bool IsPlainHttp(string registry)
    {
        if (_options.PlainHttpRegistries.Contains(registry))
            return true;
        var host = registry.StartsWith('[') ? registry[..(registry.IndexOf(']') + 1)] : registry.Split(':')[0];
        return host is "localhost" or "[::1]"
            || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    private static string BlobPath(ImageReference repository, Digest digest) =>
        $"v2/{repository.Repository}/blobs/{digest}";

    private static async Task<byte[]> ReadBoundedAsync(
        HttpContent content,
        long max,
        CancellationToken cancellationToken
    )
    {
        if (content.Headers.ContentLength > max)
            throw new RegistryException($"response larger than {max} bytes");
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 14];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
                throw new RegistryException($"response larger than {max} bytes");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await ReadBoundedAsync(response.Content, 64 * 1024, cancellationToken);
            using var document = JsonDocument.Parse(body);
            if (
                document.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array
            )
                return string.Join(
                    "; ",
                    errors
                        .EnumerateArray()
                        .Select(e =>
                            $"{(e.TryGetProperty("code", out var c) ? c.GetString() : "")} {(e.TryGetProperty("message", out var m) ? m.GetString() : "")}".Trim()
                        )
                );
        }
        catch (Exception e) when (e is JsonException or RegistryException or IOException)
        {
            // Not a distribution-spec error body; the status says enough.
        }
        return response.ReasonPhrase ?? "";
    }

    private static string SniffMediaType(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            var root = document.RootElement;
            if (root.TryGetProperty("mediaType", out var type) && type.GetString() is { } declared)
                return declared;
            return root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        catch (JsonException e)
        {
            throw new RegistryException("manifest is not valid JSON", e);
        }
    }

    private static T Deserialize<T>(byte[] bytes, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, (JsonTypeInfo<T>)OciJsonContext.Default.GetTypeInfo(typeof(T))!)
                ?? throw new RegistryException($"empty {what}");
        }
        catch (JsonException e)
        {
            throw new RegistryException($"invalid {what}: {e.Message}", e);
        }
    }

    private static Digest ParseDigest(string value, string what) =>
        Digest.TryParse(value, out var digest)
            ? digest
            : throw new RegistryException($"invalid {what} digest '{value}'");

    private static void Verify(byte[] bytes, Digest digest, long size)
    {
        using var hasher = digest.CreateHasher();
        hasher.AppendData(bytes);
        var actual = Digest.FromHash(digest.Algorithm, hasher.GetHashAndReset());
        if (actual != digest || bytes.LongLength != size)
            throw new DigestMismatchException(
                $"blob {digest} failed verification (got {actual}, {bytes.LongLength} bytes)"
            );
    }

    private sealed record Endpoint(Uri BaseUri, string CredentialsHost);
}
