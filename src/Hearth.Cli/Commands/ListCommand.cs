using System.CommandLine;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

public static class ListCommand
{
    public static Command Create()
    {
        var status = new Option<string?>("--status")
        {
            Description = "Only runs in these states, comma-separated (e.g. RUNNING,FAILED)",
        };
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "At most this many runs, newest first (0 = all)",
            DefaultValueFactory = _ => 20,
        };
        var command = new Command("list", "List runs, newest first") { status, limit };
        command.SetAction(
            async (result, ct) =>
            {
                if (result.GetValue(limit) < 0)
                    throw new CliException($"--limit {result.GetValue(limit)}: must be 0 (all) or more", 2);
                using var client = CommonOptions.Client(result);
                var list = await client.ListRunsAsync(result.GetValue(status), result.GetValue(limit), ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                // WAITING (why a run has no agent yet) only when a listed run waits: the usual table keeps its columns.
                var waits = list.Runs.Any(r => r.Waiting is not null);
                string[] headers =
                [
                    "ID",
                    "STATUS",
                    "EXIT",
                    "CREATED",
                    "DURATION",
                    "ATTEMPT",
                    "DRIVER",
                    "IMAGE",
                    "LIMITS",
                    "AGENT",
                    "COMMAND",
                ];
                Output.Table(
                    waits ? [.. headers, "WAITING"] : headers,
                    list.Runs.Select(r =>
                    {
                        string[] row =
                        [
                            r.Id,
                            Output.State(r.Status),
                            r.ExitCode?.ToString() ?? "-",
                            r.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"),
                            Output.Duration(r),
                            Output.Attempt(r),
                            Output.Driver(r),
                            r.Image ?? "-",
                            Output.Limits(r),
                            r.AgentId ?? "-",
                            Truncate(r.CommandSummary, 40),
                        ];
                        return (IReadOnlyList<string>)(
                            waits ? [.. row, r.Waiting is { } why ? why["waiting: ".Length..] : "-"] : row
                        );
                    })
                );
                return 0;
            }
        );
        return command;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
