using Hearth.Core.Api;
using Hearth.Server.Secrets;
using Hearth.Server.Webhooks;
using Hearth.Store.Repositories;

namespace Hearth.Server.Repositories;

/// <summary>
/// Repositories in and out of their store: the webhook secrets and the token are sealed by the server's secrets keyring
/// before they are written (bound to the repository's name), and opened only to verify a delivery or to fetch.
/// </summary>
public sealed class RepositoryService(IRepositoryStore store, SecretKeyring keyring, TimeProvider time)
{
    public const string WebhookRoute = "/api/v1/webhooks";

    public Task<RepositoryRecord?> GetAsync(string name, CancellationToken ct) => store.GetAsync(name, ct);

    public Task<IReadOnlyList<RepositoryRecord>> ListAsync(CancellationToken ct) => store.ListAsync(ct);

    public Task<bool> DeleteAsync(string name, CancellationToken ct) => store.DeleteAsync(name, ct);

    /// <summary>
    /// Validates and stores; returns the record, or an error in words (with whether it is a name conflict).
    /// </summary>
    public async Task<(RepositoryRecord? Created, string? Problem, bool Conflict)> CreateAsync(
        RepositoryBody body,
        string createdBy,
        CancellationToken ct
    )
    {
        if (Forge.Repositories.FirstOrDefault(f => f.Name == body.Forge) is null)
            return (null, $"forge: expected one of {string.Join(", ", Forge.Repositories.Select(f => f.Name))}", false);
        if (string.IsNullOrWhiteSpace(body.Url) || UrlProblem(body.Url) is { } urlProblem)
            return (null, $"url: {UrlProblem(body.Url ?? "") ?? "required"}", false);
        var name = body.Name ?? RepositoryNames.FromUrl(body.Url);
        if (name is null || !RepositoryNames.IsValid(name))
            return (
                null,
                $"name: {(body.Name is null ? "cannot be derived from the URL; give one" : "'" + body.Name + "' is not")} ({RepositoryNames.Expected})",
                false
            );
        if (string.IsNullOrEmpty(body.Secret))
            return (null, "secret: required (deliveries are never accepted unverified)", false);
        if (body.PreviousSecret == "")
            return (null, "previous_secret: empty; leave it out", false);
        if (body.Token == "")
            return (null, "token: empty; leave it out", false);
        var workflows = body.Workflows ?? [];
        if (workflows.Count == 0)
            return (null, "workflows: name at least one workflow file of the repository (--workflow PATH)", false);
        foreach (var path in workflows)
        {
            if (WorkflowPathProblem(path) is { } problem)
                return (null, $"workflows: '{path}' {problem}", false);
        }
        if (
            body.ApiUrl is { } apiUrl
            && (
                !Uri.TryCreate(apiUrl, UriKind.Absolute, out var api)
                || api.Scheme is not ("https" or "http")
                || !string.IsNullOrEmpty(api.UserInfo)
                || api.Query.Length > 0
            )
        )
            return (null, $"api_url: '{apiUrl}' is not an http(s) URL without credentials or query", false);
        var secrets = new List<Sealed> { Seal(name, "webhook-secret", body.Secret) };
        if (body.PreviousSecret is { } previous)
            secrets.Add(Seal(name, "webhook-secret", previous));
        var record = new RepositoryRecord(
            name,
            body.Forge!,
            body.Url.TrimEnd('/'),
            secrets,
            body.Token is { } token ? Seal(name, "token", token) : null,
            workflows.Distinct(StringComparer.Ordinal).ToList(),
            createdBy,
            time.GetUtcNow(),
            body.ApiUrl?.TrimEnd('/')
        );
        return await store.CreateAsync(record, ct)
            ? (record, null, false)
            : (null, $"a repository named '{name}' exists already", true);
    }

    public async Task<RepositoryRecord?> UpdateAsync(RepositoryRecord repository, CancellationToken ct) =>
        await store.UpdateAsync(repository, ct) ? repository : null;

    /// <summary>
    /// A new webhook secret first; the current one stays active beside it (a rotation) unless it is dropped.
    /// </summary>
    public async Task<RepositoryRecord?> RotateSecretAsync(
        RepositoryRecord repository,
        string secret,
        bool keepPrevious,
        CancellationToken ct
    )
    {
        var secrets = new List<Sealed> { Seal(repository.Name, "webhook-secret", secret) };
        if (keepPrevious)
            secrets.Add(repository.Secrets[0]);
        var updated = repository with { Secrets = secrets };
        return await store.UpdateAsync(updated, ct) ? updated : null;
    }

    /// <exception cref="SecretUnavailableException">A secret was sealed under a key this server lacks, or was
    /// altered.</exception>
    public IReadOnlyList<string> Secrets(RepositoryRecord repository) =>
        repository
            .Secrets.Select(s => keyring.Decrypt(Aad(repository.Name, "webhook-secret"), s.KeyId, s.Ciphertext))
            .ToList();

    public GitAccess Access(RepositoryRecord repository) =>
        new(
            repository.Name,
            repository.Url,
            GitAccess.TokenUser(repository.Forge),
            repository.Token is { } token
                ? keyring.Decrypt(Aad(repository.Name, "token"), token.KeyId, token.Ciphertext)
                : null
        );

    public static RepositoryView View(RepositoryRecord r) =>
        new(
            r.Name,
            r.Forge,
            r.Url,
            r.Workflows,
            r.Token is not null,
            r.Secrets.Count,
            $"{WebhookRoute}/{r.Forge}/{r.Name}",
            $"{WebhookRoute}/{Forge.StandardName}/{r.Name}",
            r.CreatedBy,
            r.CreatedAt,
            Statuses.CommitStatusService.Unreported(r) is null
                ? Statuses.StatusApi.Resolve(r.Forge, r.Url, r.ApiUrl).Api!.BaseUrl
                : null,
            r.GrantedSecrets
        );

    private Sealed Seal(string name, string what, string value)
    {
        var (keyId, ciphertext) = keyring.Encrypt(Aad(name, what), value);
        return new Sealed(keyId, ciphertext);
    }

    // Secret names cannot hold ':', so a repository's sealed values never decrypt as a secret's, nor the reverse.
    private static string Aad(string name, string what) => $"repository:{name}:{what}";

    private static string? UrlProblem(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return $"'{url}' is not an absolute URL";
        if (uri.Scheme is not ("https" or "http" or "file" or "git" or "ssh"))
            return $"'{url}': expected an https (or http, ssh, git, file) repository URL";
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return "put the token in --token-file, not in the URL";
        return null;
    }

    private static string? WorkflowPathProblem(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            return "is empty";
        if (path.StartsWith('/') || path.Split('/').Any(s => s is ".." or "." or ""))
            return "must be a relative path inside the repository without '.' or '..' segments";
        return path.EndsWith(".kdl", StringComparison.Ordinal) ? null : "is not a .kdl workflow file";
    }
}
