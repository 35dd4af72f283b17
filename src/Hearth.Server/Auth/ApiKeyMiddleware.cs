using Hearth.Server.Api;
using Hearth.Server.Web;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>
/// Authentication. Every endpoint but the public ones needs a key. User keys cannot speak the agent protocol and agent
/// tokens can do nothing else. A store failure while checking a key is 503, never 401: the key may well be valid.
/// Networks that keep failing are throttled (<see cref="AuthFailureThrottle"/>); valid keys never are. A browser signed
/// in to the web UI sends its session cookie instead (<see cref="WebSessions"/>): it stands for the key it was made
/// from, checked the same way, and a state-changing request must carry the session's CSRF token.
/// </summary>
public sealed class ApiKeyMiddleware(
    RequestDelegate next,
    IAccessStore store,
    VerifiedKeys verified,
    AuthFailureThrottle throttle,
    TimeProvider time,
    WebSessions sessions,
    ILogger<ApiKeyMiddleware> logger
)
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
        var session = key is null ? sessions.Read(context) : null;
        if (key is null && session is null)
        {
            if (WebSessions.HasCookie(context))
                WebSessions.SignOut(context);
            await WebPage.Refuse(
                context,
                StatusCodes.Status401Unauthorized,
                "UNAUTHORIZED",
                "missing API key (send X-API-Key or Authorization: Bearer)"
            );
            return;
        }

        var hash = session?.KeyHash ?? ApiKeys.Hash(key!);
        var generation = verified.Generation;
        var record = verified.Find(hash);
        try
        {
            record ??= await store.FindKeyAsync(hash, context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "store failed while checking an API key");
            await ApiResults
                .Error(
                    StatusCodes.Status503ServiceUnavailable,
                    "SERVICE_UNAVAILABLE",
                    "the store is not answering; try again"
                )
                .ExecuteAsync(context);
            return;
        }

        if (session is not null && (record is null || record.RevokedAt is not null))
        {
            WebSessions.SignOut(context);
            await WebPage.Refuse(
                context,
                StatusCodes.Status401Unauthorized,
                "SESSION_ENDED",
                "the session's API key is no longer valid; sign in again"
            );
            return;
        }
        if (record is null || (key is not null && !ApiKeys.HashMatches(key, record.Hash)))
        {
            // Checked only for keys that failed: the throttle must never refuse a valid key, least of all an agent's.
            if (throttle.IsBlocked(address))
            {
                context.Response.Headers.RetryAfter = "60";
                await ApiResults
                    .Error(
                        StatusCodes.Status429TooManyRequests,
                        "TOO_MANY_FAILURES",
                        "too many failed authentications from this network; wait a minute"
                    )
                    .ExecuteAsync(context);
                return;
            }
            throttle.RecordFailure(address);
            await ApiResults
                .Error(StatusCodes.Status401Unauthorized, "INVALID_API_KEY", "the API key is not known")
                .ExecuteAsync(context);
            return;
        }
        if (record.RevokedAt is not null)
        {
            await ApiResults
                .Error(StatusCodes.Status401Unauthorized, "API_KEY_REVOKED", "the API key was revoked")
                .ExecuteAsync(context);
            return;
        }

        var agentCall = rule is { Audience: Audience.Agent };
        if (agentCall != (record.Kind == KeyKind.Agent))
        {
            var message = agentCall
                ? "only agent tokens may use the agent protocol"
                : "agent tokens may only use the agent protocol";
            await ApiResults.Error(StatusCodes.Status403Forbidden, "FORBIDDEN", message).ExecuteAsync(context);
            return;
        }

        if (
            session is not null
            && !WebSessions.IsSafe(context.Request.Method)
            && !await WebSessions.CsrfMatchesAsync(context, session)
        )
        {
            await WebPage.Refuse(
                context,
                StatusCodes.Status403Forbidden,
                "CSRF_TOKEN_MISMATCH",
                "a state-changing request from the web UI must carry its session's CSRF token and come from this server's origin"
            );
            return;
        }

        verified.Remember(hash, record, generation);
        if (session is not null)
            context.Items[typeof(WebSession)] = session;
        context.Items[typeof(Caller)] = new Caller(record.Id, record.Owner, record.Kind, record.Role);
        await TouchAsync(hash, record);
        await next(context);
    }

    /// <summary>last_used is kept to the minute: a write per request would cost a synchronous commit each.</summary>
    private async Task TouchAsync(string hash, AccessKeyRecord record)
    {
        var now = time.GetUtcNow();
        if (record.LastUsedAt is { } last && now - last < TouchEvery)
            return;
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
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization[7..].Trim()
            : null;
    }
}
