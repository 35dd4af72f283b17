using System.Security.Cryptography;
using System.Text;

namespace Hearth.Core.Services;

/// <summary>
/// The hash of what a replica runs: the service's definition without its replica count, so scaling rolls nothing and
/// any other change (image, command, environment, mounts, health check…) rolls every replica. A sealed secret counts by
/// its seal's nonce, drawn anew whenever its content changes and kept when the server re-seals it under a new key after
/// a rotation: a changed secret rolls, a rotated key does not.
/// </summary>
public static class DefinitionHash
{
    public static string Of(ServiceDefinition service)
    {
        var canonical = service with
        {
            Replicas = 1,
            Env = new SortedDictionary<string, string>(service.Env.ToDictionary(), StringComparer.Ordinal),
            Files = [.. service.Files.Select(f => f.Sealed is { } seal ? f with { Sealed = SealIdentity(seal) } : f)],
        };
        var json = HearthJson.Serialize(canonical);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }

    /// <summary>
    /// The nonce of a seal <c>KEYID:BASE64(nonce(12) | tag | ciphertext)</c>, or the seal itself if it is not one.
    /// </summary>
    private static string SealIdentity(string seal)
    {
        var colon = seal.IndexOf(':');
        var bytes = new byte[(seal.Length - colon) * 3 / 4 + 3];
        return Convert.TryFromBase64String(seal[(colon + 1)..], bytes, out var length) && length >= 12
            ? "nonce:" + Convert.ToHexStringLower(bytes.AsSpan(0, 12))
            : seal;
    }
}
