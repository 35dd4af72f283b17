using Hearth.Core.Api;
using Hearth.Core.Placement;
using Hearth.Server.Api;
using Hearth.Server.OpenApi;
using Hearth.Store;

namespace Hearth.Server.Placement;

public static class AgentEndpoints
{
    public static void MapAgentListEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/agents", async (IRunStore store, AgentFleet fleet, CancellationToken ct) =>
            {
                var records = (await store.ListAgentsAsync(ct)).ToDictionary(a => a.Id, StringComparer.Ordinal);
                var agents = (await fleet.SnapshotAsync(ct))
                    .OrderBy(a => a.Status)
                    .ThenByDescending(a => a.LastSeenAt)
                    .ThenBy(a => a.Id, StringComparer.Ordinal)
                    .Select(a => new AgentView(
                        a.Id,
                        a.Name,
                        a.Status,
                        a.Labels,
                        a.Drivers.Select(d => d.Name).ToList(),
                        a.Capacity,
                        a.Running,
                        records.GetValueOrDefault(a.Id)?.Version ?? "unknown",
                        records.GetValueOrDefault(a.Id)?.RegisteredAt ?? a.LastSeenAt,
                        a.LastSeenAt,
                        records.GetValueOrDefault(a.Id)?.DrainingSince
                    ))
                    .ToList();
                return ApiResults.Json(new AgentListView(agents));
            })
            .WithSummary(
                "List registered agents: status (online, draining, offline), labels, drivers, capacity, running tasks"
            )
            .Answers<AgentListView>();
    }
}
