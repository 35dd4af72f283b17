using System.Globalization;
using Hearth.Core.Services;

namespace Hearth.Cli.Commands;

/// <summary>
/// <c>hearth ps</c>'s table: one row per replica and, while a rolling update runs, one more row under it for the new
/// generation starting beside it (as Nomad lists a deployment's new allocations beside the old), saying where it runs,
/// how it is and what it waits for to take over.
/// </summary>
public static class ReplicaTable
{
    public static readonly IReadOnlyList<string> Headers =
    [
        "NAME",
        "SERVICE",
        "REPLICA",
        "GEN",
        "AGENT",
        "STATE",
        "HEALTH",
        "PORTS",
        "UPTIME",
        "RESTARTS",
        "WAITING",
    ];

    public static IEnumerable<IReadOnlyList<string>> Rows(ProjectView view, DateTimeOffset now)
    {
        foreach (var r in view.Replicas)
        {
            var waiting = r.Waiting
                ?? (r.Next is { } n ? $"rolling: serves until generation {n.Generation} takes over" : null)
                ?? (r.Error is { } error ? "failed: " + error : "-");
            yield return
            [
                r.Name,
                r.Service,
                Number(r.Replica),
                r.Generation == 0 ? "-" : Number(r.Generation),
                r.Agent ?? "-",
                Snake(r.State.ToString()),
                Health(r.Health),
                r.Ports.Count == 0 ? "-" : string.Join(",", r.Ports),
                Uptime(r.StartedAt, now),
                Number(r.Restarts),
                waiting,
            ];
            if (r.Next is not { } next)
                continue;
            var check = view.Spec.Services.FirstOrDefault(s => s.Name == r.Service)?.HealthCheck is not null;
            yield return
            [
                r.Name,
                r.Service,
                Number(r.Replica),
                Number(next.Generation),
                next.Agent,
                Snake(next.State.ToString()),
                Health(next.Health),
                "-",
                Uptime(next.StartedAt, now),
                "-",
                $"rolling: replaces generation {r.Generation} once {(check ? "healthy" : "running")}",
            ];
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Health(ReplicaHealth health) => health == ReplicaHealth.None ? "-" : Snake(health.ToString());

    private static string Uptime(DateTimeOffset? startedAt, DateTimeOffset now) =>
        startedAt is { } started
            ? Core.Durations.Format(TimeSpan.FromSeconds(Math.Floor((now - started).TotalSeconds)))
            : "-";

    private static string Snake(string value) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value);
}
