using System.Text;
using Hearth.Server.Auth;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>
/// The page shell: header with the navigation the caller's role may use, who is signed in, and sign-out.
/// </summary>
public static class Layout
{
    public static string Render(HttpContext http, string title, string active, string body)
    {
        var caller = Caller.Find(http);
        var html = new StringBuilder(4096 + body.Length);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
            .Append("<title>")
            .Append(E(title))
            .Append(" · Hearth</title>")
            .Append("<link rel=\"stylesheet\" href=\"")
            .Append(WebAssets.Url("app.css"))
            .Append("\">")
            .Append("<link rel=\"icon\" href=\"")
            .Append(WebAssets.Url("favicon.svg"))
            .Append("\" type=\"image/svg+xml\">")
            .Append("<script src=\"")
            .Append(WebAssets.Url("app.js"))
            .Append("\" defer></script></head><body>")
            .Append(
                "<a class=\"skip\" href=\"#main\">Skip to content</a><header class=\"top\"><a class=\"brand\" href=\"/\">"
            )
            .Append("<span aria-hidden=\"true\">◆</span> Hearth</a>");
        if (caller is not null)
        {
            html.Append("<nav aria-label=\"Main\"><ul>");
            foreach (var item in WebNav.Items.Where(i => Policy.IsGranted(caller.Role, i.Permission)))
            {
                html.Append("<li><a href=\"")
                    .Append(E(item.Href))
                    .Append('"')
                    .Append(item.Key == active ? " aria-current=\"page\"" : "")
                    .Append('>')
                    .Append(E(item.Label))
                    .Append("</a></li>");
            }
            html.Append("</ul></nav><div class=\"who\"><span class=\"user\">")
                .Append(E(caller.Name))
                .Append("</span> <span class=\"role\">")
                .Append(E(caller.Role))
                .Append("</span>");
            if (http.Items[typeof(WebSession)] is WebSession session)
            {
                html.Append("<form method=\"post\" action=\"/logout\">")
                    .Append(CsrfInput(session))
                    .Append("<button type=\"submit\" class=\"link\">Sign out</button></form>");
            }
            html.Append("</div>");
        }
        html.Append("</header><main id=\"main\">").Append(body).Append("</main></body></html>");
        return html.ToString();
    }

    public static string CsrfInput(HttpContext http) =>
        http.Items[typeof(WebSession)] is WebSession session ? CsrfInput(session) : "";

    private static string CsrfInput(WebSession session) =>
        $"<input type=\"hidden\" name=\"{WebSessions.CsrfField}\" value=\"{E(session.Csrf)}\">";
}
