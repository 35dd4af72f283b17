using System.Text;
using System.Text.Json;

namespace Hearth.Sandbox.Oci.Registry;

/// <summary>
/// Reads credentials from a file in the Docker client's <c>config.json</c> format
/// (<c>{"auths":{"host:port":{"auth":"base64(user:pass)"}}}</c>, or <c>username</c>/<c>password</c> fields),
/// so existing logins carry over. The file is read once, at construction.
/// </summary>
public sealed class DockerConfigCredentials : ICredentialProvider
{
    private readonly Dictionary<string, RegistryCredentials> _byRegistry = new(StringComparer.OrdinalIgnoreCase);

    public DockerConfigCredentials(string path)
    {
        if (!File.Exists(path))
            return;
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            return;
        foreach (var entry in auths.EnumerateObject())
        {
            var credentials = Read(entry.Value);
            if (credentials is not null)
                _byRegistry[Normalize(entry.Name)] = credentials;
        }
    }

    public RegistryCredentials? Find(string registry)
    {
        if (_byRegistry.TryGetValue(Normalize(registry), out var found))
            return found;
        return registry == "docker.io" && _byRegistry.TryGetValue("index.docker.io", out var hub) ? hub : null;
    }

    private static RegistryCredentials? Read(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            return null;
        if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? null : new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..]);
        }
        if (entry.TryGetProperty("username", out var user) && entry.TryGetProperty("password", out var password))
            return new RegistryCredentials(user.GetString() ?? "", password.GetString() ?? "");
        return null;
    }

    // Docker writes Hub logins as "https://index.docker.io/v1/"; keep just the host[:port].
    private static string Normalize(string key)
    {
        var host = key;
        var scheme = host.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
            host = host[(scheme + 3)..];
        var slash = host.IndexOf('/');
        if (slash >= 0)
            host = host[..slash];
        return host;
    }
}
