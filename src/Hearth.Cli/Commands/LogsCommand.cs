using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Runs;

namespace Hearth.Cli.Commands;

public static class LogsCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("run") { Description = "Run id" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep following until the run ends" };
        var from = new Option<long>("--from") { Description = "Start at this line number (0 = first line)" };
        var step = new Option<string?>("--step") { Description = "Only this step of a workflow run (e.g. 1.0), or a group's steps (e.g. 3, prefixed)" };
        var command = new Command("logs", "Print a run's log (a workflow run's lines are prefixed with their step); with -f, exit as the run did") { id, follow, from, step };
        command.SetAction(async (result, ct) =>
        {
            using var client = CommonOptions.Client(result);
            var runId = result.GetValue(id)!;
            var start = result.GetValue(from);
            if (start < 0) throw new CliException("--from: must be 0 or more", 2);
            var only = result.GetValue(step);
            var format = result.GetValue(CommonOptions.Output);
            using var printer = new LogPrinter(format, prefixSteps: true, onlyStep: only);
            if (result.GetValue(follow))
            {
                // Ends as `hearth run` does: the closing status line on stderr and the run's exit code.
                await foreach (var e in client.FollowAsync(runId, start, ct, only))
                {
                    if (e.Line is not null) printer.Write(e.Line);
                    printer.Flush();
                    if (e.End is not { } end) continue;
                    var workflow = end.Status == RunState.Failed && (await client.GetRunAsync(runId, ct)).Kind == "workflow";
                    return RunEnd.Report(end, format, workflow);
                }
                throw new CliException($"the log stream of run {runId} ended without its end event", ExitCodes.PlatformFailure);
            }
            while (true)
            {
                var page = await client.LogPageAsync(runId, start, ct, only);
                foreach (var line in page.Lines) printer.Write(line);
                printer.Flush();
                if (page.Lines.Count == 0 || page.Complete) return 0;
                start = page.Next;
            }
        });
        return command;
    }
}
