using System.Security.Cryptography;
using System.Text;

namespace Hearth.Server.Auth;

/// <summary>
/// Keys, agent tokens and claim tokens are 32 random bytes (URL-safe base64); only their SHA-256 is ever stored.
/// </summary>
public static class ApiKeys
{
    public const string UserPrefix = "hk_";
    public const string AgentPrefix = "ha_";
    public const string ClaimPrefix = "hc_";

    public static string NewUserKey() => UserPrefix + Random();

    public static string NewAgentToken() => AgentPrefix + Random();

    public static string NewClaimToken() => ClaimPrefix + Random();

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>
    /// The store finds a key by its hash (an index lookup leaks nothing useful: the hash of a guess is not the key);
    /// the final comparison is still constant-time so that no code path compares secrets byte by byte.
    /// </summary>
    public static bool HashMatches(string key, string storedHash) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Hash(key)),
            Encoding.ASCII.GetBytes(storedHash)
        );

    private static string Random() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
