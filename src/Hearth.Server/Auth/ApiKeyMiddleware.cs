using Hearth.Server.Api;
using Hearth.Store;

namespace Hearth.Server.Auth;

/// <summary>
/// Every /api/v1 call needs a key. User keys cannot speak the agent protocol and agent tokens can do nothing else.
/// A store failure while checking a key is 503, never 401: the key may well be valid.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IRunStore store, ILogger<ApiKeyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api/v1"))
        {
            await next(context);
            return;
        }

        var key = ReadKey(context.Request);
        if (key is null)
        {
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "missing API key (send X-API-Key or Authorization: Bearer)").ExecuteAsync(context);
            return;
        }

        ApiKeyRecord? record;
        try
        {
            record = await store.FindApiKeyAsync(ApiKeys.Hash(key), context.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "store failed while checking an API key");
            await ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "SERVICE_UNAVAILABLE", "the store is not answering; try again").ExecuteAsync(context);
            return;
        }

        if (record is null)
        {
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "INVALID_API_KEY", "the API key is not known").ExecuteAsync(context);
            return;
        }
        if (record.RevokedAt is not null)
        {
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "API_KEY_REVOKED", "the API key was revoked").ExecuteAsync(context);
            return;
        }

        var agentCall = path.StartsWithSegments("/api/v1/agent");
        if (agentCall != (record.Kind == ApiKeyKind.Agent))
        {
            var message = agentCall ? "only agent tokens may use the agent protocol" : "agent tokens may only use the agent protocol";
            await ApiResults.Error(StatusCodes.Status403Forbidden, "FORBIDDEN", message).ExecuteAsync(context);
            return;
        }

        context.Items[typeof(Caller)] = new Caller(record.Id, record.Name, record.Kind, record.Role);
        await next(context);
    }

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-API-Key", out var header) && !string.IsNullOrWhiteSpace(header))
            return header.ToString().Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }
}
