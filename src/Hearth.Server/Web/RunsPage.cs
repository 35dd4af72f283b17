using System.Text;
using Hearth.Core.Runs;
using Hearth.Server.Api;
using Hearth.Store;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>GET /: runs, newest first, filtered by state, kind and user, a page at a time.</summary>
public static class RunsPage
{
    public const int PageSize = 50;

    private static readonly string[] Kinds = [RunKinds.Command, RunKinds.Workflow, RunKinds.Deployment, RunKinds.CiJob];

    public static async Task<IResult> RenderAsync(
        HttpContext http,
        IRunStore store,
        TimeProvider time,
        CancellationToken ct
    )
    {
        var query = http.Request.Query;
        string? state = Blank(query["state"]),
            kind = Blank(query["kind"]),
            user = Blank(query["user"]);
        var page = int.TryParse(query["page"], out var p) && p > 1 ? p : 1;
        var errors = new List<string>();
        RunState? parsed = null;
        if (state is not null)
        {
            if (RunStates.TryParse(state, out var s))
                parsed = s;
            else
                errors.Add(
                    $"state: '{state}' is not a run state (expected one of {string.Join(", ", RunStates.Names)})"
                );
        }
        var runs =
            errors.Count > 0
                ? []
                : await store.ListRunsAsync(
                    new RunQuery(parsed is { } one ? [one] : null, PageSize + 1, kind, user, (page - 1) * PageSize),
                    ct
                );
        var now = time.GetUtcNow();

        var html = new StringBuilder();
        html.Append("<div class=\"heading\"><h1>Runs</h1></div>");
        html.Append("<form class=\"filters\" method=\"get\" action=\"/\" role=\"search\" aria-label=\"Filter runs\">");
        html.Append("<label>State <select name=\"state\"><option value=\"\">any</option>");
        foreach (var name in RunStates.Names)
            html.Append("<option")
                .Append(string.Equals(name, state, StringComparison.OrdinalIgnoreCase) ? " selected" : "")
                .Append('>')
                .Append(E(name))
                .Append("</option>");
        html.Append("</select></label><label>Kind <select name=\"kind\"><option value=\"\">any</option>");
        foreach (var name in Kinds)
            html.Append("<option")
                .Append(name == kind ? " selected" : "")
                .Append('>')
                .Append(E(name))
                .Append("</option>");
        html.Append("</select></label><label>User <input type=\"search\" name=\"user\" value=\"")
            .Append(E(user))
            .Append("\" placeholder=\"email\" autocomplete=\"off\"></label><button type=\"submit\">Filter</button>");
        if (state is not null || kind is not null || user is not null)
            html.Append("<a class=\"clear\" href=\"/\">Clear</a>");
        html.Append("</form>");
        foreach (var error in errors)
            html.Append("<p class=\"error\" role=\"alert\">").Append(E(error)).Append("</p>");

        if (runs.Count == 0)
        {
            html.Append("<p class=\"empty\">No runs")
                .Append(
                    page > 1 ? " on this page"
                    : state is null && kind is null && user is null ? " yet"
                    : " match"
                )
                .Append(".</p>");
        }
        else
        {
            html.Append(
                    "<div class=\"table-wrap\"><table class=\"runs\"><caption class=\"sr-only\">Runs, newest first</caption><thead><tr>"
                )
                .Append(
                    "<th scope=\"col\">Run</th><th scope=\"col\">State</th><th scope=\"col\">Kind</th><th scope=\"col\">Command</th>"
                )
                .Append(
                    "<th scope=\"col\">User</th><th scope=\"col\">Created</th><th scope=\"col\">Duration</th><th scope=\"col\">Exit</th></tr></thead><tbody>"
                );
            foreach (var run in runs.Take(PageSize))
            {
                var summary = run.Plan is { } plan ? plan.Name : Core.Api.RunView.Summarize(run.Spec.Command);
                var ended = run.EndedAt ?? (run.StartedAt is null ? null : now);
                html.Append("<tr data-run=\"")
                    .Append(E(run.Id))
                    .Append("\"><td><a class=\"mono\" href=\"/runs/")
                    .Append(Uri.EscapeDataString(run.Id))
                    .Append("\">")
                    .Append(E(run.Id))
                    .Append("</a></td><td>")
                    .Append(Format.State(run.State))
                    .Append("</td><td>")
                    .Append(E(run.Kind))
                    .Append("</td><td class=\"mono cmd\">")
                    .Append(E(summary))
                    .Append("</td><td>")
                    .Append(E(run.CreatedBy))
                    .Append("</td><td>")
                    .Append(Format.Time(run.CreatedAt))
                    .Append("</td><td>")
                    .Append(
                        run.StartedAt is { } started && ended is { } end
                            ? E(Format.Duration(end - started))
                            : "<span class=\"muted\">–</span>"
                    )
                    .Append("</td><td>")
                    .Append(run.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "")
                    .Append("</td></tr>");
            }
            html.Append("</tbody></table></div>");
        }
        html.Append("<nav class=\"pager\" aria-label=\"Pages\">");
        if (page > 1)
            html.Append("<a rel=\"prev\" href=\"")
                .Append(E(PageUrl(state, kind, user, page - 1)))
                .Append("\">← Newer</a>");
        html.Append("<span>Page ").Append(page).Append("</span>");
        if (runs.Count > PageSize)
            html.Append("<a rel=\"next\" href=\"")
                .Append(E(PageUrl(state, kind, user, page + 1)))
                .Append("\">Older →</a>");
        html.Append("</nav>");
        return Html(
            http,
            Layout.Render(http, "Runs", "runs", html.ToString()),
            errors.Count > 0 ? StatusCodes.Status400BadRequest : 200
        );
    }

    private static string PageUrl(string? state, string? kind, string? user, int page)
    {
        var parts = new List<string>();
        if (state is not null)
            parts.Add("state=" + Uri.EscapeDataString(state));
        if (kind is not null)
            parts.Add("kind=" + Uri.EscapeDataString(kind));
        if (user is not null)
            parts.Add("user=" + Uri.EscapeDataString(user));
        if (page > 1)
            parts.Add("page=" + page);
        return "/" + (parts.Count > 0 ? "?" + string.Join("&", parts) : "");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
