using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Hearth.Server.Web;

/// <summary>
/// The web UI's stylesheet, script and icon, embedded in the server's assembly (no CDN, no file on disk; safe for
/// trimming and Native AOT). Pages link them with a version from their content, so browsers keep them until they
/// change.
/// </summary>
public static class WebAssets
{
    private const string Prefix = "Hearth.Web.";

    private sealed record Asset(byte[] Bytes, string ContentType, string Version);

    private static readonly FrozenDictionary<string, Asset> All = Load();

    public static string Url(string name) => $"/assets/{name}?v={All[name].Version}";

    public static IResult Serve(HttpContext http, string name)
    {
        if (!All.TryGetValue(name, out var asset))
            return Results.NotFound();
        var etag = $"\"{asset.Version}\"";
        var headers = http.Response.Headers;
        headers.ETag = etag;
        headers.XContentTypeOptions = "nosniff";
        // A versioned URL never changes its content; an unversioned one is revalidated.
        headers.CacheControl =
            http.Request.Query["v"] == asset.Version ? "public, max-age=31536000, immutable" : "no-cache";
        if (http.Request.Headers.IfNoneMatch == etag)
            return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (
            var resource in assembly
                .GetManifestResourceNames()
                .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
        )
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var name = resource[Prefix.Length..];
            assets[name] = new Asset(bytes, TypeOf(name), Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string TypeOf(string name) =>
        Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
}
