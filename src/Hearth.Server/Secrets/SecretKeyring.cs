using System.Security.Cryptography;
using System.Text;

namespace Hearth.Server.Secrets;

/// <summary>
/// AES-256-GCM over secret values. Each ciphertext is nonce (12) | tag (16) | bytes, bound to the secret's name as
/// associated data (a row copied under another name does not decrypt), and tagged with the id of its key so old
/// keys can still decrypt during a rotation.
/// </summary>
public sealed class SecretKeyring
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _current;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public SecretKeyring(byte[] current, IEnumerable<byte[]> old)
    {
        if (current.Length != 32)
            throw new ArgumentException("the secrets key must be 32 bytes", nameof(current));
        _current = current;
        CurrentId = IdOf(current);
        _keys[CurrentId] = current;
        foreach (var key in old)
            _keys.TryAdd(IdOf(key), key);
    }

    public string CurrentId { get; }

    public bool Knows(string keyId) => _keys.ContainsKey(keyId);

    /// <summary>
    /// A key for another purpose (the web UI's session signatures), derived from the current key with HKDF: servers
    /// sharing the secrets key agree on it, and it never encrypts anything itself.
    /// </summary>
    public byte[] Derive(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _current, 32, info: Encoding.UTF8.GetBytes(purpose));

    /// <summary>A key's id: a prefix of a hash of it, which says which key but reveals nothing of it.</summary>
    public static string IdOf(byte[] key) =>
        Convert.ToHexStringLower(SHA256.HashData([.. "hearth-secrets-key-id:"u8, .. key]))[..16];

    public (string KeyId, byte[] Ciphertext) Encrypt(string name, string value)
    {
        var plain = Encoding.UTF8.GetBytes(value);
        var output = new byte[NonceSize + TagSize + plain.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_current, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), Aad(name));
        CryptographicOperations.ZeroMemory(plain);
        return (CurrentId, output);
    }

    /// <summary>
    /// A ciphertext of an older key re-encrypted under the current one with the same nonce, so what identifies a
    /// sealing (its nonce) survives a rotation. A nonce must never repeat under one key: it was drawn at random, and is
    /// as unlikely to have been used with the current key as a fresh draw.
    /// </summary>
    /// <exception cref="SecretUnavailableException">The old key is not configured, or the ciphertext was tampered
    /// with.</exception>
    public (string KeyId, byte[] Ciphertext) Reencrypt(string name, string keyId, byte[] ciphertext)
    {
        var plain = Encoding.UTF8.GetBytes(Decrypt(name, keyId, ciphertext));
        var output = new byte[ciphertext.Length];
        ciphertext.AsSpan(0, NonceSize).CopyTo(output);
        using var aes = new AesGcm(_current, TagSize);
        aes.Encrypt(
            output.AsSpan(0, NonceSize),
            plain,
            output.AsSpan(NonceSize + TagSize),
            output.AsSpan(NonceSize, TagSize),
            Aad(name)
        );
        CryptographicOperations.ZeroMemory(plain);
        return (CurrentId, output);
    }

    /// <exception cref="SecretUnavailableException">The key is not configured, or the ciphertext was tampered
    /// with.</exception>
    public string Decrypt(string name, string keyId, byte[] ciphertext)
    {
        if (!_keys.TryGetValue(keyId, out var key))
            throw new SecretUnavailableException(
                $"secret '{name}' is encrypted under key {keyId}, which this server does not have (secrets.old_key_files)"
            );
        if (ciphertext.Length < NonceSize + TagSize)
            throw new SecretUnavailableException($"secret '{name}' is corrupt");
        var plain = new byte[ciphertext.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(
                ciphertext.AsSpan(0, NonceSize),
                ciphertext.AsSpan(NonceSize + TagSize),
                ciphertext.AsSpan(NonceSize, TagSize),
                plain,
                Aad(name)
            );
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretUnavailableException(
                $"secret '{name}' does not decrypt with key {keyId}: it was altered or belongs to another name"
            );
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] Aad(string name) => Encoding.UTF8.GetBytes("hearth-secret:" + name);
}
