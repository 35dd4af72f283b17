using System.Text;
using Hearth.Store.Locks;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>GET /locks: each lock's holder (a run), since when, its fencing token, and its FIFO queue.</summary>
public static class LocksPage
{
    public static async Task<IResult> RenderAsync(
        HttpContext http,
        ILockStore store,
        TimeProvider time,
        CancellationToken ct
    )
    {
        var locks = await store.ListAsync(ct);
        var now = time.GetUtcNow();
        var html = new StringBuilder("<div class=\"heading\"><h1>Locks</h1></div>");
        if (locks.Count == 0)
        {
            html.Append("<p class=\"empty\">No lock has been taken yet (<code>hearth run --lock NAME</code>).</p>");
            return Html(http, Layout.Render(http, "Locks", "locks", html.ToString()));
        }
        html.Append(
                "<div class=\"table-wrap\"><table class=\"locks\"><caption class=\"sr-only\">Locks</caption><thead><tr>"
            )
            .Append(
                "<th scope=\"col\">Lock</th><th scope=\"col\">Holder</th><th scope=\"col\">Held for</th><th scope=\"col\">Token</th>"
            )
            .Append("<th scope=\"col\">Lease expires</th><th scope=\"col\">Queue</th></tr></thead><tbody>");
        foreach (var info in locks)
        {
            html.Append("<tr data-lock=\"")
                .Append(E(info.Name))
                .Append("\"><td><strong class=\"mono\">")
                .Append(E(info.Name))
                .Append("</strong></td><td>")
                .Append(info.HolderRun is { } holder ? RunLink(holder) : "<span class=\"muted\">free</span>")
                .Append("</td><td>")
                .Append(info.HolderRun is not null && info.Since is { } since ? E(Format.Duration(now - since)) : "")
                .Append("</td><td class=\"mono\">")
                .Append(info.Token)
                .Append("</td><td>")
                .Append(info.HolderRun is null ? "" : Format.Time(info.LeaseExpiresAt))
                .Append("</td><td>");
            if (info.Queue.Count == 0)
                html.Append("<span class=\"muted\">empty</span>");
            else
            {
                html.Append("<ol class=\"queue\">");
                foreach (var waiter in info.Queue)
                {
                    html.Append("<li>")
                        .Append(RunLink(waiter.RunId))
                        .Append(" <span class=\"muted\">waiting ")
                        .Append(E(Format.Duration(now - waiter.QueuedAt)))
                        .Append(waiter.Deadline is { } deadline ? ", gives up " : "")
                        .Append(waiter.Deadline is { } d ? Format.Time(d) : "")
                        .Append("</span></li>");
                }
                html.Append("</ol>");
            }
            html.Append("</td></tr>");
        }
        html.Append("</tbody></table></div>");
        return Html(http, Layout.Render(http, "Locks", "locks", html.ToString()));
    }

    private static string RunLink(string runId) =>
        $"<a class=\"mono\" href=\"/runs/{Uri.EscapeDataString(runId)}\">{E(runId)}</a>";
}
