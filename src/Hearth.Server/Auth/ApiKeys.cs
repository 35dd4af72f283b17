using System.Security.Cryptography;
using System.Text;

namespace Hearth.Server.Auth;

/// <summary>Keys are 32 random bytes; only their SHA-256 is ever stored.</summary>
public static class ApiKeys
{
    public const string UserPrefix = "hk_";
    public const string AgentPrefix = "ha_";

    public static string NewUserKey() => UserPrefix + Random();

    public static string NewAgentToken() => AgentPrefix + Random();

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Random() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
