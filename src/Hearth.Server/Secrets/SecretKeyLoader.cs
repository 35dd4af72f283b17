using Hearth.Server.Configuration;

namespace Hearth.Server.Secrets;

/// <summary>
/// Finds the secrets key: secrets.key (HEARTH_SECRETS_KEY), else secrets.key_file, else DataDir/secrets.key, created
/// (mode 0600) on first start, and only then: when the store already holds secrets, a missing key file stops the start
/// (a new key could decrypt none of them). Several servers on one PostgreSQL database must all be given the same key; a
/// server with another key cannot decrypt the others' secrets and says so (SECRET_UNAVAILABLE).
/// </summary>
public static class SecretKeyLoader
{
    /// <param name="storedKeyIds">The ids of the keys the store's secrets are encrypted under (empty: no secrets
    /// yet).</param>
    public static SecretKeyring Load(ServerOptions options, IReadOnlyList<string> storedKeyIds)
    {
        var access = options.Access;
        if (
            access.SecretsKey is not { Length: > 0 }
            && access.SecretsKeyFile is null
            && storedKeyIds.Count > 0
            && !File.Exists(DefaultFile(options))
        )
            throw new ConfigException(
                $"{DefaultFile(options)}: no such secrets key file, but the store holds secrets encrypted under key {string.Join(", ", storedKeyIds)}; "
                    + "put the key file back (or give secrets.key_file / HEARTH_SECRETS_KEY): a new key could decrypt none of them"
            );
        var current = access.SecretsKey is { Length: > 0 } inline
            ? Decode(inline, "secrets.key (HEARTH_SECRETS_KEY)")
            : FromFile(access.SecretsKeyFile ?? DefaultFile(options), create: access.SecretsKeyFile is null);
        var old = access.SecretsOldKeyFiles.Select(f => FromFile(f, create: false));
        return new SecretKeyring(current, old);
    }

    private static string DefaultFile(ServerOptions options) => Path.Combine(options.DataDir, "secrets.key");

    private static byte[] FromFile(string path, bool create)
    {
        if (!File.Exists(path))
        {
            if (!create)
                throw new ConfigException($"{path}: no such secrets key file");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var fresh = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            // Written whole under a temporary name, then moved into place: a second server starting on the same data
            // dir either wins the move or finds a complete key file, never a half-written one.
            var temp = $"{path}.{Environment.ProcessId}.tmp";
            using (
                var stream = new FileStream(
                    temp,
                    new FileStreamOptions
                    {
                        Mode = FileMode.Create,
                        Access = FileAccess.Write,
                        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    }
                )
            )
            using (var writer = new StreamWriter(stream))
            {
                writer.WriteLine(Convert.ToBase64String(fresh));
            }
            try
            {
                File.Move(temp, path, overwrite: false);
                return fresh;
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }
        try
        {
            return Decode(File.ReadAllText(path).Trim(), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"{path}: cannot read the secrets key file: {e.Message}");
        }
    }

    private static byte[] Decode(string base64, string where)
    {
        try
        {
            var key = Convert.FromBase64String(base64);
            if (key.Length == 32)
                return key;
        }
        catch (FormatException) { }
        throw new ConfigException(
            $"{where}: the secrets key must be 32 random bytes in base64 (e.g. head -c32 /dev/urandom | base64)"
        );
    }
}
