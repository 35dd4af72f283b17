using Hearth.Core;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>First start of a server with no keys: mint an admin key (user "admin") and an agent token, once.</summary>
public static class Bootstrap
{
    public const string AdminName = "admin";
    public const string AgentsName = "agents";

    public sealed record Credentials(string AdminKey, string AgentToken);

    public static async Task<Credentials?> EnsureAsync(
        IAccessStore store,
        TimeProvider time,
        IdGenerator ids,
        CancellationToken ct
    )
    {
        if (await store.AnyKeyAsync(KeyKind.User, ct))
            return null;
        var credentials = new Credentials(ApiKeys.NewUserKey(), ApiKeys.NewAgentToken());
        await AddAsync(store, credentials, time, ids, ct);
        return credentials;
    }

    public static async Task AddAsync(
        IAccessStore store,
        Credentials credentials,
        TimeProvider time,
        IdGenerator ids,
        CancellationToken ct
    )
    {
        var now = time.GetUtcNow();
        await store.CreateUserAsync(new UserRecord(AdminName, Roles.Admin, now, "bootstrap", null), null, ct);
        await store.CreateKeyAsync(
            new AccessKeyRecord(
                ids.Next(),
                ApiKeys.Hash(credentials.AdminKey),
                KeyKind.User,
                AdminName,
                Roles.Admin,
                now
            ),
            ct
        );
        await store.CreateKeyAsync(
            new AccessKeyRecord(
                ids.Next(),
                ApiKeys.Hash(credentials.AgentToken),
                KeyKind.Agent,
                AgentsName,
                Roles.Agent,
                now
            ),
            ct
        );
    }

    public static async Task<bool> IsKnownAsync(IAccessStore store, string key, CancellationToken ct) =>
        await store.FindKeyAsync(ApiKeys.Hash(key), ct) is { RevokedAt: null };
}
