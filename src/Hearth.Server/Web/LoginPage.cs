using Hearth.Server.Auth;
using Hearth.Store.Access;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>
/// Sign-in with an API key, posted in a form (never in a URL, never kept by the page's script), checked as the API
/// checks a key: unknown keys count against the network's failure throttle, revoked keys and agent tokens are refused.
/// </summary>
public static class LoginPage
{
    public static IResult Render(HttpContext http, string? error = null, int status = StatusCodes.Status200OK)
    {
        var next = http.Request.Query["next"].ToString();
        if (http.Request.HasFormContentType && http.Request.Form.TryGetValue("next", out var posted))
            next = posted.ToString();
        next = LocalPath(next);
        var body =
            "<section class=\"panel login\"><h1>Sign in</h1>"
            + (error is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"login-error\">{E(error)}</p>")
            + "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"next\" value=\""
            + E(next)
            + "\">"
            + "<label for=\"key\">API key</label><input type=\"password\" id=\"key\" name=\"key\" required autocomplete=\"current-password\" "
            + "spellcheck=\"false\" autofocus"
            + (error is null ? "" : " aria-describedby=\"login-error\"")
            + ">"
            + "<button type=\"submit\">Sign in</button></form>"
            + "<p class=\"muted\">Your key is sent once, over this form; the browser keeps only a signed session cookie. "
            + "<code>hearth dev</code> and <code>hearth server</code> print the first admin key; "
            + "<code>hearth users create</code> makes more.</p></section>";
        return Html(http, Layout.Render(http, "Sign in", "", body), status);
    }

    public static async Task<IResult> SignInAsync(
        HttpContext http,
        IAccessStore store,
        VerifiedKeys verified,
        AuthFailureThrottle throttle,
        WebSessions sessions,
        CancellationToken ct
    )
    {
        var origin = http.Request.Headers.Origin.ToString();
        if (
            origin.Length > 0
            && !string.Equals(
                origin,
                $"{http.Request.Scheme}://{http.Request.Host}",
                StringComparison.OrdinalIgnoreCase
            )
        )
            return Render(
                http,
                "Sign-in is accepted only from this server's own page.",
                StatusCodes.Status403Forbidden
            );
        if (!http.Request.HasFormContentType)
            return Render(http, "Send the sign-in form.", StatusCodes.Status400BadRequest);
        var form = await http.Request.ReadFormAsync(ct);
        var key = form["key"].ToString().Trim();
        if (key.Length == 0)
            return Render(http, "Enter an API key.", StatusCodes.Status400BadRequest);

        var address = ClientAddress.Of(http);
        var hash = ApiKeys.Hash(key);
        var record = verified.Find(hash) ?? await store.FindKeyAsync(hash, ct);
        if (record is null || !ApiKeys.HashMatches(key, record.Hash))
        {
            if (throttle.IsBlocked(address))
            {
                http.Response.Headers.RetryAfter = "60";
                return Render(
                    http,
                    "Too many failed sign-ins from this network; wait a minute.",
                    StatusCodes.Status429TooManyRequests
                );
            }
            throttle.RecordFailure(address);
            return Render(http, "That API key is not known.", StatusCodes.Status401Unauthorized);
        }
        if (record.RevokedAt is not null)
            return Render(http, "That API key was revoked.", StatusCodes.Status401Unauthorized);
        if (record.Kind == KeyKind.Agent)
            return Render(http, "Agent tokens cannot sign in; use a user's API key.", StatusCodes.Status403Forbidden);

        // The audit trail records who signed in.
        http.Items[typeof(Caller)] = new Caller(record.Id, record.Owner, record.Kind, record.Role);
        sessions.SignIn(http, hash);
        return SeeOther(LocalPath(form["next"].ToString()));
    }

    /// <summary>
    /// Sign-out needs the session's CSRF token (another site cannot sign a user out); it only drops the cookie.
    /// </summary>
    public static async Task<IResult> SignOutAsync(HttpContext http, WebSessions sessions)
    {
        if (sessions.Read(http) is { } session && !await WebSessions.CsrfMatchesAsync(http, session))
            return Render(http, "Sign-out must come from this server's own page.", StatusCodes.Status403Forbidden);
        WebSessions.SignOut(http);
        return SeeOther("/login");
    }
}
