using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Webhooks.Signatures;

/// <summary>
/// What every scheme shares: one header sent exactly once and not empty, hex digests, HMACs, equal-time compares.
/// </summary>
internal static class SignatureHeaders
{
    /// <summary>The header's single value, or the reason it cannot be used (missing, empty, sent twice).</summary>
    public static (string? Value, string? Problem) Single(IHeaderDictionary headers, string name)
    {
        if (!headers.TryGetValue(name, out var values))
            return (null, $"missing {name} header");
        if (values.Count == 0)
            return (null, $"empty {name} header");
        if (values.Count > 1)
            return (null, $"{name} header sent {values.Count} times; expected once");
        var value = values[0];
        if (string.IsNullOrWhiteSpace(value))
            return (null, $"empty {name} header");
        return (value, null);
    }

    /// <summary>Lower- or upper-case hex of exactly <paramref name="bytes"/> bytes, else null.</summary>
    public static byte[]? Hex(string text, int bytes)
    {
        if (text.Length != bytes * 2)
            return null;
        foreach (var c in text)
            if (!char.IsAsciiHexDigit(c))
                return null;
        return Convert.FromHexString(text);
    }

    public static byte[] HmacSha256(string secret, ReadOnlySpan<byte> data) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data);

    /// <summary>
    /// True when any active secret's HMAC-SHA256 of the body equals <paramref name="expected"/> (fixed-time compare).
    /// </summary>
    public static bool AnyHmacMatches(IReadOnlyList<string> secrets, ReadOnlySpan<byte> body, byte[] expected)
    {
        var matched = false;
        foreach (var secret in secrets)
        {
            // Every secret is tried, so the time taken does not say which one matched.
            matched |= CryptographicOperations.FixedTimeEquals(HmacSha256(secret, body), expected);
        }
        return matched;
    }

    public static Verification NoSecret() =>
        Verification.Refused("no webhook secret is configured for this repository");
}
