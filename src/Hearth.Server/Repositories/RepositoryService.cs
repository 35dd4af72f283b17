using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hearth.Core.Api;
using Hearth.Server.Background;
using Hearth.Server.Secrets;
using Hearth.Server.Webhooks;
using Hearth.Store.Repositories;

namespace Hearth.Server.Repositories;

/// <summary>
/// Repositories in and out of their store: the webhook secrets and the token are sealed by the server's secrets keyring
/// before they are written (bound to the repository's name), and opened only to verify a delivery or to fetch.
/// Deliveries read repositories from memory (<see cref="GetForDeliveryAsync"/>); every change made through this service
/// forgets the repository here at once and on the other servers through the change feed.
/// </summary>
public sealed class RepositoryService
{
    public const string WebhookRoute = "/api/v1/webhooks";

    /// <summary>
    /// How long a repository read for deliveries is used without reading it again: a bound on staleness should a
    /// change's announcement from another server be lost without the feed noticing. Changes made through any server
    /// are normally seen by the next delivery (here at once; elsewhere once the feed carries the announcement).
    /// </summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly IRepositoryStore _store;
    private readonly SecretKeyring _keyring;
    private readonly TimeProvider _time;
    private readonly Signals _signals;
    private readonly ConcurrentDictionary<string, (RepositoryRecord Record, long Until)> _cache = new(
        StringComparer.Ordinal
    );

    // Bumped by every forgetting: a read that began before it may hold the old record, so it is not remembered.
    private long _generation;

    // The opened secrets of a record read for deliveries: decrypted once per record, not once per delivery.
    private readonly ConditionalWeakTable<RepositoryRecord, IReadOnlyList<string>> _secrets = new();
    private readonly ConditionalWeakTable<RepositoryRecord, GitAccess> _access = new();

    public RepositoryService(IRepositoryStore store, SecretKeyring keyring, TimeProvider time, Signals signals)
    {
        _store = store;
        _keyring = keyring;
        _time = time;
        _signals = signals;
        // Lives as long as the server (a singleton); another server's change, or a lost feed, forgets here.
        signals.Watch(SignalKeys.RepositoryPrefix, key => Forget(key[SignalKeys.RepositoryPrefix.Length..]), ForgetAll);
    }

    /// <summary>The repository as stored now (what changes to it start from).</summary>
    public Task<RepositoryRecord?> GetAsync(string name, CancellationToken ct) => _store.GetAsync(name, ct);

    /// <summary>
    /// The repository for a delivery: from memory when read less than <see cref="CacheFor"/> ago and not changed
    /// since, else from the store. A repository that does not exist is not remembered.
    /// </summary>
    public async Task<RepositoryRecord?> GetForDeliveryAsync(string name, CancellationToken ct)
    {
        var now = _time.GetTimestamp();
        if (_cache.TryGetValue(name, out var known) && now < known.Until)
            return known.Record;
        var generation = Interlocked.Read(ref _generation);
        var record = await _store.GetAsync(name, ct);
        if (record is null)
            return null;
        lock (_cache)
        {
            // A change forgotten while we read may not be in what we read: use it for this delivery only.
            if (Interlocked.Read(ref _generation) == generation)
                _cache[name] = (record, now + (long)(CacheFor.TotalSeconds * _time.TimestampFrequency));
        }
        return record;
    }

    public Task<IReadOnlyList<RepositoryRecord>> ListAsync(CancellationToken ct) => _store.ListAsync(ct);

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        var deleted = await _store.DeleteAsync(name, ct);
        Changed(name);
        return deleted;
    }

    /// <summary>Forgets the repository here and tells the other servers to.</summary>
    private void Changed(string name)
    {
        Forget(name);
        _signals.PulseElsewhere(SignalKeys.Repository(name));
    }

    private void Forget(string name)
    {
        lock (_cache)
        {
            Interlocked.Increment(ref _generation);
            _cache.TryRemove(name, out _);
        }
    }

    private void ForgetAll()
    {
        lock (_cache)
        {
            Interlocked.Increment(ref _generation);
            _cache.Clear();
        }
    }

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
            _time.GetUtcNow(),
            body.ApiUrl?.TrimEnd('/')
        );
        var created = await _store.CreateAsync(record, ct);
        Changed(name);
        return created ? (record, null, false) : (null, $"a repository named '{name}' exists already", true);
    }

    public async Task<RepositoryRecord?> UpdateAsync(RepositoryRecord repository, CancellationToken ct)
    {
        var updated = await _store.UpdateAsync(repository, ct);
        Changed(repository.Name);
        return updated ? repository : null;
    }

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
        return await UpdateAsync(repository with { Secrets = secrets }, ct);
    }

    /// <exception cref="SecretUnavailableException">A secret was sealed under a key this server lacks, or was
    /// altered.</exception>
    public IReadOnlyList<string> Secrets(RepositoryRecord repository)
    {
        if (_secrets.TryGetValue(repository, out var opened))
            return opened;
        opened = repository
            .Secrets.Select(s => _keyring.Decrypt(Aad(repository.Name, "webhook-secret"), s.KeyId, s.Ciphertext))
            .ToList();
        _secrets.AddOrUpdate(repository, opened);
        return opened;
    }

    /// <summary>What git needs to fetch from the repository (its token opened once per record).</summary>
    /// <exception cref="SecretUnavailableException">The token was sealed under a key this server lacks.</exception>
    public GitAccess Access(RepositoryRecord repository)
    {
        if (_access.TryGetValue(repository, out var known))
            return known;
        var access = new GitAccess(
            repository.Name,
            repository.Url,
            GitAccess.TokenUser(repository.Forge),
            repository.Token is { } token
                ? _keyring.Decrypt(Aad(repository.Name, "token"), token.KeyId, token.Ciphertext)
                : null
        );
        _access.AddOrUpdate(repository, access);
        return access;
    }

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
        var (keyId, ciphertext) = _keyring.Encrypt(Aad(name, what), value);
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
