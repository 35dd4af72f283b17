using System.Security.Cryptography;

namespace Hearth.Core;

/// <summary>Short random ids (12 hex digits, like docker's short ids). Seedable for tests.</summary>
public sealed class IdGenerator(Random? seeded = null)
{
    public string Next()
    {
        Span<byte> bytes = stackalloc byte[6];
        if (seeded is null)
            RandomNumberGenerator.Fill(bytes);
        else
            lock (seeded)
                seeded.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
