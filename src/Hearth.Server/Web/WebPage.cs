using System.Text.Encodings.Web;
using Hearth.Server.Api;

namespace Hearth.Server.Web;

/// <summary>
/// Endpoint metadata: this endpoint is a page of the web UI (HTML for a browser, JSON refusals for others).
/// </summary>
public sealed class WebPageMarker
{
    public static readonly WebPageMarker Instance = new();
}

/// <summary>How the web UI answers: HTML with strict security headers, and refusals a browser can act on.</summary>
public static class WebPage
{
    /// <summary>Scripts and styles only from this server; no inline script, no framing, forms post only here.</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

    public static string E(string? text) => text is null ? "" : HtmlEncoder.Default.Encode(text);

    public static IResult Html(HttpContext http, string html, int status = StatusCodes.Status200OK)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on its own form posts.
        headers["Referrer-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        return Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }

    /// <summary>See other: after a form post, the browser loads the page it should show next.</summary>
    public static IResult SeeOther(string location) => new SeeOtherResult(location);

    /// <summary>
    /// A refusal: JSON for API clients (as every endpoint answers), and for a browser asking for a page, the sign-in
    /// form (unauthenticated) or a page saying what was refused.
    /// </summary>
    public static Task Refuse(HttpContext http, int status, string code, string message)
    {
        var browser =
            http.GetEndpoint()?.Metadata.GetMetadata<WebPageMarker>() is not null
            && http.Request.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal);
        if (!browser)
            return ApiResults.Error(status, code, message).ExecuteAsync(http);
        if (status == StatusCodes.Status401Unauthorized)
            return new SeeOtherResult(
                "/login?next=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString)
            ).ExecuteAsync(http);
        var body =
            $"<section class=\"panel\"><h1>{E(status == 403 ? "Not allowed" : "Refused")}</h1><p>{E(message)}</p>"
            + $"<p class=\"muted\">{E(code)}</p>"
            + "<p><a href=\"/\">Back to runs</a></p></section>";
        return Html(http, Layout.Render(http, "Refused", "", body), status).ExecuteAsync(http);
    }

    /// <summary>Only a path on this server: never an absolute or protocol-relative URL (no open redirect).</summary>
    public static string LocalPath(string? next) =>
        next is { Length: > 0 }
        && next[0] == '/'
        && !next.StartsWith("//", StringComparison.Ordinal)
        && !next.StartsWith("/\\", StringComparison.Ordinal)
            ? next
            : "/";

    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status303SeeOther;
            http.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
