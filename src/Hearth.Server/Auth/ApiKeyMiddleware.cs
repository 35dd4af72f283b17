using Hearth.Server.Api;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>
/// Authentication. Every endpoint but the public ones needs a key. User keys cannot speak the agent protocol and
/// agent tokens can do nothing else. A store failure while checking a key is 503, never 401: the key may well be valid.
/// Networks that keep failing are throttled (<see cref="AuthFailureThrottle"/>); valid keys never are.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IAccessStore store, VerifiedKeys verified, AuthFailureThrottle throttle, TimeProvider time,
    ILogger<ApiKeyMiddleware> logger)
{
    private static readonly TimeSpan TouchEvery = TimeSpan.FromMinutes(1);

    public async Task InvokeAsync(HttpContext context)
    {
        var rule = EndpointRules.Of(context);
        if (rule is { Audience: Audience.Public })
        {
            await next(context);
            return;
        }

        var address = ClientAddress.Of(context);
        var key = ReadKey(context.Request);
        if (key is null)
        {
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "missing API key (send X-API-Key or Authorization: Bearer)").ExecuteAsync(context);
            return;
        }

        var hash = ApiKeys.Hash(key);
        var generation = verified.Generation;
        var record = verified.Find(hash);
        try
        {
            record ??= await store.FindKeyAsync(hash, context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "store failed while checking an API key");
            await ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "SERVICE_UNAVAILABLE", "the store is not answering; try again").ExecuteAsync(context);
            return;
        }

        if (record is null || !ApiKeys.HashMatches(key, record.Hash))
        {
            // Checked only for keys that failed: the throttle must never refuse a valid key, least of all an agent's.
            if (throttle.IsBlocked(address))
            {
                context.Response.Headers.RetryAfter = "60";
                await ApiResults.Error(StatusCodes.Status429TooManyRequests, "TOO_MANY_FAILURES",
                    "too many failed authentications from this network; wait a minute").ExecuteAsync(context);
                return;
            }
            throttle.RecordFailure(address);
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "INVALID_API_KEY", "the API key is not known").ExecuteAsync(context);
            return;
        }
        if (record.RevokedAt is not null)
        {
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "API_KEY_REVOKED", "the API key was revoked").ExecuteAsync(context);
            return;
        }

        var agentCall = rule is { Audience: Audience.Agent };
        if (agentCall != (record.Kind == KeyKind.Agent))
        {
            var message = agentCall ? "only agent tokens may use the agent protocol" : "agent tokens may only use the agent protocol";
            await ApiResults.Error(StatusCodes.Status403Forbidden, "FORBIDDEN", message).ExecuteAsync(context);
            return;
        }

        verified.Remember(hash, record, generation);
        context.Items[typeof(Caller)] = new Caller(record.Id, record.Owner, record.Kind, record.Role);
        await TouchAsync(hash, record);
        await next(context);
    }

    /// <summary>last_used is kept to the minute: a write per request would cost a synchronous commit each.</summary>
    private async Task TouchAsync(string hash, AccessKeyRecord record)
    {
        var now = time.GetUtcNow();
        if (record.LastUsedAt is { } last && now - last < TouchEvery) return;
        try
        {
            await store.TouchKeyAsync(record.Id, now, CancellationToken.None);
            verified.Update(hash, record with { LastUsedAt = now });
        }
        catch (Exception e)
        {
            logger.LogWarning("could not record the last use of key {Key}: {Error}", record.Id, e.Message);
        }
    }

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-API-Key", out var header) && !string.IsNullOrWhiteSpace(header))
            return header.ToString().Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}
