using System.Security.Cryptography;

namespace Hearth.Sandbox.Oci.References;

/// <summary>A content digest such as <c>sha256:0123…</c>. Only sha256 and sha512 are accepted.</summary>
public readonly record struct Digest
{
    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    public string Algorithm { get; }

    public string Hex { get; }

    public static Digest Parse(string value) =>
        TryParse(value, out var digest) ? digest : throw new FormatException($"not a valid digest: '{value}'");

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null)
            return false;
        var colon = value.IndexOf(':');
        if (colon <= 0)
            return false;
        var algorithm = value[..colon];
        var hex = value[(colon + 1)..];
        var expected = algorithm switch
        {
            "sha256" => 64,
            "sha512" => 128,
            _ => -1,
        };
        if (hex.Length != expected || !hex.All(IsLowerHex))
            return false;
        digest = new Digest(algorithm, hex);
        return true;
    }

    public static Digest Sha256(ReadOnlySpan<byte> content) =>
        new("sha256", Convert.ToHexStringLower(SHA256.HashData(content)));

    public static Digest FromHash(string algorithm, byte[] hash) => new(algorithm, Convert.ToHexStringLower(hash));

    /// <summary>An incremental hasher for this digest's algorithm.</summary>
    public IncrementalHash CreateHasher() =>
        Algorithm switch
        {
            "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
            "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
            _ => throw new InvalidOperationException("default digest"),
        };

    public override string ToString() => $"{Algorithm}:{Hex}";

    private static bool IsLowerHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';
}
