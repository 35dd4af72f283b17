using System.CommandLine;
using System.Text.Json;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

/// <summary>hearth agents: the fleet as placement sees it.</summary>
public static class AgentsCommand
{
    public static Command Create()
    {
        var command = new Command(
            "agents",
            "List agents: online, draining or offline, their labels, drivers, capacity and running tasks"
        );
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.ListAgentsAsync(ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                var now = DateTimeOffset.UtcNow;
                Output.Table(
                    ["ID", "NAME", "STATUS", "DRIVERS", "RUNNING", "LAST SEEN", "VERSION", "LABELS"],
                    list.Agents.Select(a =>
                        (IReadOnlyList<string>)
                            [
                                a.Id,
                                a.Name,
                                JsonNamingPolicy.SnakeCaseUpper.ConvertName(a.Status.ToString()),
                                a.Drivers.Count == 0 ? "-" : string.Join(",", a.Drivers),
                                $"{a.Running}/{a.Capacity}",
                                Ago(now - a.LastSeenAt),
                                a.Version,
                                Labels(a.Labels),
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static string Ago(TimeSpan elapsed) =>
        elapsed < TimeSpan.FromSeconds(1)
            ? "just now"
            : $"{Core.Durations.Format(TimeSpan.FromSeconds(Math.Floor(elapsed.TotalSeconds)))} ago";

    /// <summary>The labels an operator set; driver.* ones are listed under DRIVERS already.</summary>
    private static string Labels(IReadOnlyDictionary<string, string> labels)
    {
        var own = labels
            .Where(l => !l.Key.StartsWith("driver.", StringComparison.Ordinal))
            .OrderBy(l => l.Key, StringComparer.Ordinal)
            .Select(l => $"{l.Key}={l.Value}")
            .ToList();
        return own.Count == 0 ? "-" : string.Join(",", own);
    }
}
