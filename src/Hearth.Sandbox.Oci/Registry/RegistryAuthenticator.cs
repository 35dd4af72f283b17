using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Hearth.Sandbox.Oci.Registry;

/// <summary>
/// Answers registry auth challenges: Basic with the configured credentials, or Bearer by fetching a token
/// from the challenge's realm (with the credentials, when there are any, else anonymously).
/// Tokens are cached per endpoint and scope until they expire.
/// </summary>
internal sealed class RegistryAuthenticator(HttpClient http, ICredentialProvider credentials, TimeProvider time)
{
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, CachedHeader> _cache = new();

    public AuthenticationHeaderValue? Cached(string key) =>
        _cache.TryGetValue(key, out var cached) && cached.ExpiresAt > time.GetUtcNow() ? cached.Header : null;

    public async Task<AuthenticationHeaderValue> AnswerAsync(
        AuthChallenge challenge,
        string registry,
        string defaultScope,
        string key,
        CancellationToken cancellationToken
    )
    {
        var found = credentials.Find(registry);
        AuthenticationHeaderValue header;
        TimeSpan lifetime;
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (found is null)
                throw new RegistryAuthException(
                    $"registry {registry} requires a login (basic auth) and none is configured"
                );
            header = new AuthenticationHeaderValue("Basic", found.ToBasicHeaderValue());
            lifetime = TimeSpan.FromDays(1);
        }
        else if (challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            (header, lifetime) = await FetchTokenAsync(challenge, registry, defaultScope, found, cancellationToken);
        }
        else
        {
            throw new RegistryAuthException(
                $"registry {registry} asks for unsupported auth scheme '{challenge.Scheme}'"
            );
        }

        // Renew a little before the registry would refuse the token.
        var margin = lifetime > TimeSpan.FromSeconds(20) ? TimeSpan.FromSeconds(10) : TimeSpan.Zero;
        _cache[key] = new CachedHeader(header, time.GetUtcNow() + lifetime - margin);
        return header;
    }

    private async Task<(AuthenticationHeaderValue, TimeSpan)> FetchTokenAsync(
        AuthChallenge challenge,
        string registry,
        string defaultScope,
        RegistryCredentials? found,
        CancellationToken cancellationToken
    )
    {
        if (!Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm) || realm.Scheme is not ("http" or "https"))
            throw new RegistryAuthException($"registry {registry} sent a bearer challenge without a usable realm");

        var query = new List<string>();
        if (challenge.Service is { } service)
            query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(challenge.Scope ?? defaultScope));
        var builder = new UriBuilder(realm);
        builder.Query = string.Join('&', new[] { builder.Query.TrimStart('?') }.Where(q => q.Length > 0).Concat(query));

        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (found is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", found.ToBasicHeaderValue());
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new RegistryAuthException(
                $"token service for {registry} answered {(int)response.StatusCode} {response.ReasonPhrase}"
            );

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var token =
            root.TryGetProperty("token", out var t) ? t.GetString()
            : root.TryGetProperty("access_token", out var a) ? a.GetString()
            : null;
        if (string.IsNullOrEmpty(token))
            throw new RegistryAuthException($"token service for {registry} returned no token");
        var lifetime =
            root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : DefaultTokenLifetime;
        return (new AuthenticationHeaderValue("Bearer", token), lifetime);
    }

    private sealed record CachedHeader(AuthenticationHeaderValue Header, DateTimeOffset ExpiresAt);
}
