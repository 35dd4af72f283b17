namespace Hearth.Store.Repositories;

/// <summary>
/// A value encrypted by the server's secrets keyring (which key, and the bytes); the store never sees plaintext.
/// </summary>
public sealed record Sealed(string KeyId, byte[] Ciphertext);

/// <summary>
/// A repository Hearth takes webhooks from. <see cref="Secrets"/> are the active webhook secrets, newest first (two
/// while a rotation is under way); <see cref="Token"/> reads the repository (git fetch) and reports statuses back;
/// <see cref="ApiUrl"/> is the forge's REST API base when it cannot be derived from the URL (or to override it);
/// <see cref="GrantedSecrets"/> are the secrets an admin lets the repository's runs use (never a fork's pull request).
/// </summary>
public sealed record RepositoryRecord(
    string Name,
    string Forge,
    string Url,
    IReadOnlyList<Sealed> Secrets,
    Sealed? Token,
    IReadOnlyList<string> Workflows,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string? ApiUrl = null,
    IReadOnlyList<string>? GrantedSecrets = null
)
{
    public IReadOnlyList<string> GrantedSecrets { get; init; } = GrantedSecrets ?? [];
}
