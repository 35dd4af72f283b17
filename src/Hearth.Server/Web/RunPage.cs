using System.Globalization;
using System.Text;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Auth;
using Hearth.Server.Placement;
using Hearth.Store;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>
/// GET /runs/{id}: a run's details, its startup breakdown, its workflow tree, kill, and its log followed live
/// (the script reads the API's Server-Sent Events: /api/v1/runs/{id}/logs?follow=true).
/// </summary>
public static class RunPage
{
    public static async Task<IResult> RenderAsync(
        HttpContext http,
        string id,
        IRunStore store,
        AgentFleet fleet,
        TimeProvider time,
        CancellationToken ct
    )
    {
        var run = await store.GetRunAsync(id, ct);
        if (run is null)
        {
            var missing =
                $"<section class=\"panel\"><h1>No such run</h1><p>No run has the id <code>{E(id)}</code>.</p></section>";
            return Html(http, Layout.Render(http, "Not found", "runs", missing), StatusCodes.Status404NotFound);
        }
        var now = time.GetUtcNow();
        var agents = await fleet.SnapshotAsync(ct);
        var live = !Transitions.Run.IsTerminal(run.State);
        var caller = Caller.From(http);
        var mayKill = Policy.IsGranted(caller.Role, "runs.kill") || run.CreatedBy == caller.Name;
        var escaped = Uri.EscapeDataString(run.Id);

        var html = new StringBuilder();
        html.Append("<div class=\"heading\" id=\"run\" data-run=\"")
            .Append(E(run.Id))
            .Append("\" data-live=\"")
            .Append(live ? "true" : "false")
            .Append("\"><h1>Run <span class=\"mono\">")
            .Append(E(run.Id))
            .Append("</span></h1><span id=\"run-state\" aria-live=\"polite\">")
            .Append(Format.State(run.State))
            .Append("</span>");
        if (live && mayKill)
        {
            html.Append("<form id=\"kill\" method=\"post\" action=\"/runs/")
                .Append(escaped)
                .Append("/kill\">")
                .Append(Layout.CsrfInput(http))
                .Append("<button type=\"submit\" class=\"danger\">Kill</button></form>");
        }
        html.Append("</div>");

        html.Append(
            "<section class=\"panel\" aria-labelledby=\"details-h\"><h2 id=\"details-h\" class=\"sr-only\">Details</h2><dl class=\"details\">"
        );
        Item(html, "Kind", E(run.Kind));
        Item(html, "User", E(run.CreatedBy));
        if (run.Plan is { } plan)
            Item(html, "Workflow", $"{E(plan.Name)} <span class=\"muted\">({E(plan.Source)})</span>");
        else
            Item(html, "Command", $"<code>{E(string.Join(' ', run.Spec.Command))}</code>");
        if (run.Spec.Driver is { } driver)
            Item(html, "Driver", E(driver));
        if (run.Spec.Image is { } image)
            Item(html, "Image", $"<code>{E(image)}</code>");
        Item(html, "Created", Format.Time(run.CreatedAt));
        Item(html, "Started", Format.Time(run.StartedAt));
        Item(html, "Ended", Format.Time(run.EndedAt));
        Item(
            html,
            "Exit code",
            $"<span id=\"run-exit\">{run.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "–"}</span>"
        );
        if (run.Reason is { } reason)
            Item(html, "Reason", E(reason));
        if (run.Plan is null && run.Tasks.Count > 0)
        {
            var task = run.Tasks[0];
            Item(html, "Attempt", $"{task.Attempt} of {task.MaxAttempts}");
            if (task.AgentId is { } agent)
                Item(html, "Agent", $"<code>{E(agent)}</code>");
            if (AgentFleet.Waiting(task, agents, now) is { } waiting)
                Item(html, "Waiting", E(waiting));
        }
        html.Append("</dl></section>");

        html.Append("<section class=\"panel\" aria-labelledby=\"startup-h\"><h2 id=\"startup-h\">Startup</h2>")
            .Append(StartupBars.Render(run, now))
            .Append("</section>");

        if (run.Plan is { } workflow)
        {
            var steps = Workflows.WorkflowEndpoints.StepsOf(run, workflow, agents, now);
            html.Append("<section class=\"panel\" aria-labelledby=\"tree-h\"><h2 id=\"tree-h\">Fragments</h2>");
            Tree(html, steps, null);
            html.Append("</section>");
        }

        html.Append(
                "<section class=\"panel logs\" aria-labelledby=\"logs-h\"><div class=\"log-head\"><h2 id=\"logs-h\">Logs</h2>"
            )
            .Append("<div class=\"log-tools\" role=\"toolbar\" aria-label=\"Log controls\">")
            .Append("<label><input type=\"checkbox\" id=\"log-follow\" checked> Follow</label>")
            .Append("<label><input type=\"checkbox\" id=\"log-numbers\" checked> Line numbers</label>")
            .Append("<label><input type=\"checkbox\" id=\"log-times\"> Timestamps</label>")
            .Append("<button type=\"button\" id=\"log-pause\" aria-pressed=\"false\">Pause</button>")
            .Append("<button type=\"button\" id=\"log-download\">Download</button></div></div>")
            .Append("<p id=\"log-status\" class=\"muted\" aria-live=\"polite\">Connecting…</p>")
            .Append("<div id=\"log\" class=\"log show-numbers\" data-src=\"/api/v1/runs/")
            .Append(escaped)
            .Append("/logs?follow=true\" tabindex=\"0\" ")
            .Append("role=\"log\" aria-label=\"Run output\"></div></section>");
        return Html(http, Layout.Render(http, $"Run {run.Id}", "runs", html.ToString()));
    }

    /// <summary>Kill from the page: the API's stop, then back to the run (the page follows it to its end).</summary>
    public static async Task<IResult> KillAsync(HttpContext http, string id, RunService service, CancellationToken ct)
    {
        var run = await service.StopAsync(id, StopReason.Killed, ct, Caller.From(http).Name);
        if (run is null)
        {
            var missing =
                $"<section class=\"panel\"><h1>No such run</h1><p>No run has the id <code>{E(id)}</code>.</p></section>";
            return Html(http, Layout.Render(http, "Not found", "runs", missing), StatusCodes.Status404NotFound);
        }
        Audit.AuditTarget.Set(http, run.Id);
        return SeeOther("/runs/" + Uri.EscapeDataString(run.Id));
    }

    private static void Tree(StringBuilder html, IReadOnlyList<WorkflowStepView> steps, string? parent)
    {
        var children = steps.Where(s => s.ParentId == parent).ToList();
        if (children.Count == 0)
            return;
        html.Append(parent is null ? "<ul class=\"tree\" role=\"tree\">" : "<ul role=\"group\">");
        foreach (var step in children)
        {
            html.Append("<li role=\"treeitem\" data-step=\"")
                .Append(E(step.Id))
                .Append("\"><div class=\"node\"><span class=\"step-id mono\">")
                .Append(E(step.Id))
                .Append("</span>");
            html.Append(
                step.Kind switch
                {
                    PlanStepKind.Parallel => "<span class=\"kind\">parallel</span>",
                    PlanStepKind.Sequence => "<span class=\"kind\">sequence</span>",
                    _ => $"<code class=\"cmd\">{E(step.Run)}</code>",
                }
            );
            if (step.State is { } state)
                html.Append(Format.State(state));
            if (step.Machine is { } machine)
                html.Append("<span class=\"chip\">machine=").Append(E(machine)).Append("</span>");
            if (step.ExitCode is { } exit)
                html.Append("<span class=\"muted\">exit ").Append(exit).Append("</span>");
            if (step.StartedAt is { } started && step.EndedAt is { } ended)
                html.Append("<span class=\"muted\">").Append(E(Format.Duration(ended - started))).Append("</span>");
            if (step.Reason is { } reason)
                html.Append("<span class=\"reason\">").Append(E(reason)).Append("</span>");
            html.Append("</div>");
            Tree(html, steps, step.Id);
            html.Append("</li>");
        }
        html.Append("</ul>");
    }

    private static void Item(StringBuilder html, string name, string valueHtml) =>
        html.Append("<div><dt>").Append(E(name)).Append("</dt><dd>").Append(valueHtml).Append("</dd></div>");
}
