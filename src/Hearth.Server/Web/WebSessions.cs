using System.Security.Cryptography;
using System.Text;
using Hearth.Server.Secrets;

namespace Hearth.Server.Web;

/// <summary>A signed-in browser: the hash of the API key it signed in with, until when, and its CSRF token.</summary>
public sealed record WebSession(string KeyHash, DateTimeOffset ExpiresAt, string Csrf);

/// <summary>
/// The web UI's session cookie: a signed session, never the key. It carries the hash of the API key the user signed in
/// with (the store looks keys up by that hash), an expiry and a nonce, under an HMAC whose key is derived from the
/// secrets key (servers sharing one store and key file accept each other's sessions). Every request re-reads the key's
/// record, so a revoked key ends its sessions at once. HttpOnly, SameSite=Strict, Secure over TLS. The CSRF token is an
/// HMAC of the nonce: pages embed it in their forms, and <see cref="CsrfMatches"/> checks it on every state-changing
/// request a cookie authenticates.
/// </summary>
public sealed class WebSessions(SecretKeyring keyring, TimeProvider time)
{
    public const string CookieName = "hearth_session";
    public const string CsrfField = "_csrf";
    public const string CsrfHeader = "X-CSRF-Token";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private readonly byte[] _key = keyring.Derive("hearth-web-session-v1");

    public void SignIn(HttpContext http, string keyHash)
    {
        var expires = time.GetUtcNow() + Lifetime;
        var nonce = Base64Url(RandomNumberGenerator.GetBytes(16));
        var payload = $"{keyHash}.{expires.ToUnixTimeSeconds()}.{nonce}";
        http.Response.Cookies.Append(CookieName, payload + "." + Sign(payload), CookieOptions(http, expires));
    }

    public static void SignOut(HttpContext http) => http.Response.Cookies.Delete(CookieName, CookieOptions(http, null));

    public static bool HasCookie(HttpContext http) => http.Request.Cookies.ContainsKey(CookieName);

    /// <summary>
    /// The session the request's cookie carries, or null when there is none, it is forged, or it expired.
    /// </summary>
    public WebSession? Read(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var value) || value is null)
            return null;
        var parts = value.Split('.');
        if (parts.Length != 4 || !long.TryParse(parts[1], out var unix))
            return null;
        var payload = $"{parts[0]}.{parts[1]}.{parts[2]}";
        if (
            !CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(Sign(payload)),
                Encoding.ASCII.GetBytes(parts[3])
            )
        )
            return null;
        var expires = DateTimeOffset.FromUnixTimeSeconds(unix);
        if (expires <= time.GetUtcNow())
            return null;
        return new WebSession(parts[0], expires, Sign("csrf:" + parts[2]));
    }

    /// <summary>
    /// A state-changing request authenticated by the cookie must carry the session's CSRF token (header or form field)
    /// and, when the browser names one, come from this server's own origin. SameSite=Strict already keeps the cookie
    /// off cross-site requests; this holds where SameSite is not honoured.
    /// </summary>
    public static async Task<bool> CsrfMatchesAsync(HttpContext http, WebSession session)
    {
        var request = http.Request;
        var origin = request.Headers.Origin.ToString();
        if (
            origin.Length > 0
            && !string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
        )
            return false;
        var sent = request.Headers[CsrfHeader].ToString();
        if (sent.Length == 0 && request.HasFormContentType)
            sent = (await request.ReadFormAsync(http.RequestAborted))[CsrfField].ToString();
        return sent.Length > 0
            && CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(sent),
                Encoding.ASCII.GetBytes(session.Csrf)
            );
    }

    public static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method);

    private string Sign(string payload) => Base64Url(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload)));

    private static CookieOptions CookieOptions(HttpContext http, DateTimeOffset? expires) =>
        new()
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        };

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
