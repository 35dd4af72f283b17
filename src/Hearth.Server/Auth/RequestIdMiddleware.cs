using System.Security.Cryptography;

namespace Hearth.Server.Auth;

/// <summary>
/// Every request gets an id: the caller's X-Request-ID when it is a sane token, else a new one. It is returned in the
/// response header, used as the request's trace identifier, and recorded in the audit trail.
/// </summary>
public sealed class RequestIdMiddleware(RequestDelegate next, ILogger<RequestIdMiddleware> logger)
{
    public const string Header = "X-Request-ID";
    private const int MaxLength = 128;

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[Header].ToString();
        var id = IsValid(incoming) ? incoming : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        context.TraceIdentifier = id;
        context.Response.Headers[Header] = id;
        // Every line logged while the request is handled names it.
        using (
            logger.BeginScope<KeyValuePair<string, object?>[]>([new KeyValuePair<string, object?>("request_id", id)])
        )
            await next(context);
    }

    public static string Of(HttpContext context) => context.TraceIdentifier;

    private static bool IsValid(string id) =>
        id.Length is > 0 and <= MaxLength && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');
}
