using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>Pushes blobs and manifests to a registry with the plain distribution API (monolithic uploads).</summary>
public sealed class ImagePusher(Uri registry) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = registry };

    public static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public async Task<JsonObject> PushBlobAsync(string repository, byte[] bytes, string mediaType)
    {
        var digest = Sha256(bytes);
        using var start = await _http.PostAsync($"v2/{repository}/blobs/uploads/", null);
        if (start.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"upload start: {start.StatusCode}");
        var location = start.Headers.Location!;
        var target = location.IsAbsoluteUri ? location : new Uri(_http.BaseAddress!, location);
        var separator = target.Query.Length > 0 ? "&" : "?";
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var put = await _http.PutAsync(
            new Uri(target + separator + "digest=" + Uri.EscapeDataString(digest)),
            content
        );
        if (put.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"blob put: {put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return new JsonObject
        {
            ["mediaType"] = mediaType,
            ["digest"] = digest,
            ["size"] = bytes.LongLength,
        };
    }

    public async Task<string> PushManifestAsync(string repository, string reference, byte[] manifest, string mediaType)
    {
        using var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var put = await _http.PutAsync($"v2/{repository}/manifests/{reference}", content);
        if (put.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException(
                $"manifest put: {put.StatusCode} {await put.Content.ReadAsStringAsync()}"
            );
        return Sha256(manifest);
    }

    /// <summary>
    /// Pushes an image made of <paramref name="layers"/> (uncompressed tars; gzipped on the way unless
    /// <paramref name="gzip"/> is false).
    /// </summary>
    public async Task<PushedImage> PushImageAsync(
        string repository,
        string tag,
        IReadOnlyList<byte[]> layers,
        JsonObject? containerConfig = null,
        bool docker = false,
        bool gzip = true,
        string architecture = "amd64"
    )
    {
        var layerType =
            docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
            : gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
            : "application/vnd.oci.image.layer.v1.tar";
        var descriptors = new JsonArray();
        var diffIds = new JsonArray();
        foreach (var layer in layers)
        {
            var blob = gzip || docker ? TarBuilder.Gzip(layer) : layer;
            descriptors.Add(await PushBlobAsync(repository, blob, layerType));
            diffIds.Add(Sha256(layer));
        }
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["config"] = containerConfig ?? new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
        };
        var configBytes = Encoding.UTF8.GetBytes(config.ToJsonString());
        var configType = docker
            ? "application/vnd.docker.container.image.v1+json"
            : "application/vnd.oci.image.config.v1+json";
        var manifestType = docker
            ? "application/vnd.docker.distribution.manifest.v2+json"
            : "application/vnd.oci.image.manifest.v1+json";
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = manifestType,
            ["config"] = await PushBlobAsync(repository, configBytes, configType),
            ["layers"] = descriptors,
        };
        var manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var digest = await PushManifestAsync(repository, tag, manifestBytes, manifestType);
        return new PushedImage(
            digest,
            manifestBytes.LongLength,
            manifestType,
            descriptors.Select(d => d!["digest"]!.GetValue<string>()).ToList()
        );
    }

    public async Task<string> PushIndexAsync(
        string repository,
        string tag,
        IEnumerable<(PushedImage Image, string Architecture)> entries,
        bool docker = false
    )
    {
        var type = docker
            ? "application/vnd.docker.distribution.manifest.list.v2+json"
            : "application/vnd.oci.image.index.v1+json";
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = type,
            ["manifests"] = new JsonArray(
                entries
                    .Select(e =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["mediaType"] = e.Image.MediaType,
                                ["digest"] = e.Image.Digest,
                                ["size"] = e.Image.Size,
                                ["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = e.Architecture },
                            }
                    )
                    .ToArray()
            ),
        };
        return await PushManifestAsync(repository, tag, Encoding.UTF8.GetBytes(index.ToJsonString()), type);
    }

    public void Dispose() => _http.Dispose();
}

public sealed record PushedImage(string Digest, long Size, string MediaType, IReadOnlyList<string> LayerDigests);
