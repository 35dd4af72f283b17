using System.Text;
using Hearth.Server.Placement;
using Hearth.Store;
using static Hearth.Server.Web.WebPage;

namespace Hearth.Server.Web;

/// <summary>GET /agents: each agent's status, labels, drivers, load (running of capacity) and last heartbeat.</summary>
public static class AgentsPage
{
    public static async Task<IResult> RenderAsync(
        HttpContext http,
        IRunStore store,
        AgentFleet fleet,
        TimeProvider time,
        CancellationToken ct
    )
    {
        var records = (await store.ListAgentsAsync(ct)).ToDictionary(a => a.Id, StringComparer.Ordinal);
        var agents = (await fleet.SnapshotAsync(ct))
            .OrderBy(a => a.Status)
            .ThenByDescending(a => a.LastSeenAt)
            .ThenBy(a => a.Id, StringComparer.Ordinal)
            .ToList();
        var now = time.GetUtcNow();
        var html = new StringBuilder("<div class=\"heading\"><h1>Agents</h1></div>");
        if (agents.Count == 0)
        {
            html.Append(
                "<p class=\"empty\">No agent has registered. Start one: <code>hearth agent --server URL --token-file FILE</code>.</p>"
            );
            return Html(http, Layout.Render(http, "Agents", "agents", html.ToString()));
        }
        html.Append(
                "<div class=\"table-wrap\"><table class=\"agents\"><caption class=\"sr-only\">Agents</caption><thead><tr>"
            )
            .Append(
                "<th scope=\"col\">Agent</th><th scope=\"col\">Status</th><th scope=\"col\">Labels</th><th scope=\"col\">Drivers</th>"
            )
            .Append(
                "<th scope=\"col\">Load</th><th scope=\"col\">Last heartbeat</th><th scope=\"col\">Version</th></tr></thead><tbody>"
            );
        foreach (var agent in agents)
        {
            var status = agent.Status.ToString().ToUpperInvariant();
            html.Append("<tr data-agent=\"")
                .Append(E(agent.Name))
                .Append("\"><td><strong>")
                .Append(E(agent.Name))
                .Append("</strong><br><span class=\"mono muted\">")
                .Append(E(agent.Id))
                .Append("</span></td><td>")
                .Append(Format.Badge(status))
                .Append("</td><td>");
            foreach (var (key, value) in agent.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
                html.Append("<span class=\"chip\">").Append(E(key)).Append('=').Append(E(value)).Append("</span>");
            html.Append("</td><td>")
                .Append(E(string.Join(", ", agent.Drivers.Select(d => d.Name))))
                .Append("</td><td class=\"load\">")
                .Append("<meter min=\"0\" max=\"")
                .Append(Math.Max(1, agent.Capacity))
                .Append("\" value=\"")
                .Append(agent.Running)
                .Append("\" aria-label=\"")
                .Append(agent.Running)
                .Append(" of ")
                .Append(agent.Capacity)
                .Append(" slots busy\"></meter> ")
                .Append(agent.Running)
                .Append('/')
                .Append(agent.Capacity)
                .Append("</td><td>")
                .Append(Format.Time(agent.LastSeenAt))
                .Append("<br><span class=\"muted\">")
                .Append(E(Format.Ago(agent.LastSeenAt, now)))
                .Append("</span></td><td>")
                .Append(E(records.GetValueOrDefault(agent.Id)?.Version ?? "unknown"))
                .Append("</td></tr>");
        }
        html.Append("</tbody></table></div>");
        return Html(http, Layout.Render(http, "Agents", "agents", html.ToString()));
    }
}
