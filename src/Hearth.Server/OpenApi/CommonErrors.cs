using Hearth.Server.Auth;

namespace Hearth.Server.OpenApi;

/// <summary>
/// The errors the pipeline answers on an endpoint before or around its handler, read from its access rule: a key is
/// checked only where one is needed (401, 503 while the store does not answer), roles only on user endpoints (403),
/// rate limits everywhere but the agent protocol (429), the
/// protocol version on the agent protocol (400), and <see cref="Api.ErrorMiddleware"/> everywhere.
/// </summary>
public static class CommonErrors
{
    public static IEnumerable<ErrorCodesMetadata> For(EndpointRule rule, bool readsBody)
    {
        yield return new(StatusCodes.Status500InternalServerError, ["INTERNAL_ERROR"]);
        yield return new(StatusCodes.Status503ServiceUnavailable, ["DATABASE_ERROR"]);
        // A write that breaks a stored constraint, or a transition the state machine refuses (ErrorMiddleware).
        yield return new(StatusCodes.Status409Conflict, ["CONFLICT"]);
        if (readsBody)
        {
            yield return new(StatusCodes.Status400BadRequest, ["INVALID_REQUEST"]);
            yield return new(StatusCodes.Status413PayloadTooLarge, ["INVALID_REQUEST"]);
        }
        if (rule.Audience != Audience.Agent)
            yield return new(StatusCodes.Status429TooManyRequests, ["RATE_LIMITED"]);
        // Every agent call names its protocol version (Agents/ProtocolVersions.cs).
        else
            yield return new(StatusCodes.Status400BadRequest, [Core.Api.AgentProtocolVersion.UnsupportedCode]);
        if (rule.Audience == Audience.Public)
            yield break;
        yield return new(StatusCodes.Status401Unauthorized, ["UNAUTHORIZED", "INVALID_API_KEY", "API_KEY_REVOKED"]);
        yield return new(StatusCodes.Status403Forbidden, ["FORBIDDEN"]);
        yield return new(StatusCodes.Status429TooManyRequests, ["TOO_MANY_FAILURES"]);
        yield return new(StatusCodes.Status503ServiceUnavailable, ["SERVICE_UNAVAILABLE"]);
    }
}
