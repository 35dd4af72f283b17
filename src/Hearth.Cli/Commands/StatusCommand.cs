using System.CommandLine;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

public static class StatusCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("run") { Description = "Run id" };
        var command = new Command("status", "Show a run's status") { id };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var run = await client.GetRunAsync(result.GetValue(id)!, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(run);
                    return 0;
                }
                var rows = new List<(string, string)>
                {
                    ("ID", run.Id),
                    ("STATUS", Output.State(run.Status)),
                    ("EXIT CODE", run.ExitCode?.ToString() ?? "-"),
                    ("REASON", run.Reason ?? "-"),
                    ("WAITING", run.Waiting ?? "-"),
                    ("COMMAND", run.Command is { } argv ? string.Join(' ', argv) : run.CommandSummary),
                    ("CREATED", run.CreatedAt.ToString("u")),
                    ("STARTED", run.StartedAt?.ToString("u") ?? "-"),
                    ("ENDED", run.EndedAt?.ToString("u") ?? "-"),
                    ("DURATION", Output.Duration(run)),
                    ("ATTEMPT", Output.Attempt(run)),
                    ("NOT BEFORE", run.NotBefore?.ToString("u") ?? "-"),
                    ("DRIVER", Output.Driver(run)),
                    ("IMAGE", run.Image ?? "-"),
                    ("LIMITS", Output.Limits(run)),
                    ("AGENT", run.AgentId ?? "-"),
                    ("LOG LINES", run.LogLines.ToString()),
                };
                if (run.Startup is { } startup)
                    rows.Add(("STARTUP", Output.Startup(startup)));
                foreach (var (key, value) in rows)
                    Console.Out.WriteLine($"{key, -10} {value}");
                foreach (var attempt in run.Attempts)
                    Console.Out.WriteLine(
                        $"{"ATTEMPTS", -10} #{attempt.Attempt} on {attempt.AgentId}: {attempt.Reason}"
                    );
                return 0;
            }
        );
        return command;
    }
}
