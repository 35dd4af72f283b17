using Hearth.Core;
using Hearth.Store;

namespace Hearth.Server.Auth;

/// <summary>First start of a server with an empty store: mint an admin key and an agent token, once.</summary>
public static class Bootstrap
{
    public sealed record Credentials(string AdminKey, string AgentToken);

    public static async Task<Credentials?> EnsureAsync(IRunStore store, TimeProvider time, IdGenerator ids, CancellationToken ct)
    {
        if (await store.AnyApiKeyAsync(ApiKeyKind.User, ct)) return null;
        var credentials = new Credentials(ApiKeys.NewUserKey(), ApiKeys.NewAgentToken());
        await AddAsync(store, credentials, time, ids, ct);
        return credentials;
    }

    public static async Task AddAsync(IRunStore store, Credentials credentials, TimeProvider time, IdGenerator ids, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await store.CreateApiKeyAsync(new ApiKeyRecord(ids.Next(), ApiKeys.Hash(credentials.AdminKey), ApiKeyKind.User, "admin", "admin", now), ct);
        await store.CreateApiKeyAsync(new ApiKeyRecord(ids.Next(), ApiKeys.Hash(credentials.AgentToken), ApiKeyKind.Agent, "agents", "agent", now), ct);
    }

    public static async Task<bool> IsKnownAsync(IRunStore store, string key, CancellationToken ct) =>
        await store.FindApiKeyAsync(ApiKeys.Hash(key), ct) is { RevokedAt: null };
}
