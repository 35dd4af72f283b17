using System.CommandLine;
using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

public static class KillCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("run") { Description = "Run id" };
        var command = new Command(
            "kill",
            "Stop a run: TERM to its whole process tree, KILL after the grace period (idempotent)"
        )
        {
            id,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var run = await client.KillAsync(result.GetValue(id)!, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(run);
                else
                    Console.Out.WriteLine($"{run.Id} {Output.State(run.Status)}");
                return 0;
            }
        );
        return command;
    }
}
