using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Runs;

namespace Hearth.Cli.Commands;

public static class LogsCommand
{
    public static Command Create()
    {
        var id = new Argument<string[]>("run")
        {
            Description =
                "Run id; with -p or --file: the services or replicas (api, api-2) whose logs to print (none: all)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var project = new Option<string?>("--project-name", "-p")
        {
            Description = "Print a compose project's service logs (see run)",
        };
        var files = new Option<string[]>("--file")
        {
            Description = "Print the service logs of this compose file's project",
        };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep following until the run ends" };
        var from = new Option<long>("--from") { Description = "Start at this line number (0 = first line)" };
        var step = new Option<string?>("--step")
        {
            Description = "Only this step of a workflow run (e.g. 1.0), or a group's steps (e.g. 3, prefixed)",
        };
        var command = new Command(
            "logs",
            "Print a run's log (a workflow run's lines are prefixed with their step); with -f, exit as the run did. "
                + "With -p PROJECT (or --file compose.yaml): the logs of the project's replicas, prefixed per replica as compose "
                + "does; -f follows them until Ctrl-C"
        )
        {
            id,
            follow,
            from,
            step,
            project,
            files,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var start = result.GetValue(from);
                if (start < 0)
                    throw new CliException("--from: must be 0 or more", 2);
                var args = result.GetValue(id) ?? [];
                var projectName =
                    result.GetValue(project) is { Length: > 0 } p ? p
                    : result.GetValue(files) is { Length: > 0 } f ? ServiceCommands.ProjectNameOf(f)
                    : null;
                if (projectName is not null)
                {
                    if (result.GetValue(step) is not null)
                        throw new CliException("--step: a workflow run's, not a project's", 2);
                    if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                        throw new CliException(
                            "-o json: a project's logs are printed as text (a run's log: hearth logs RUN -o json)",
                            2
                        );
                    return await ServiceLogs.PrintAsync(client, projectName, args, result.GetValue(follow), start, ct);
                }
                if (args.Length != 1)
                    throw new CliException(
                        "expected one run id (or -p PROJECT [SERVICE…] for a compose project's logs)",
                        2
                    );
                var runId = args[0];
                var only = result.GetValue(step);
                var format = result.GetValue(CommonOptions.Output);
                using var printer = new LogPrinter(format, prefixSteps: true, onlyStep: only);
                if (result.GetValue(follow))
                {
                    // Ends as `hearth run` does: the closing status line on stderr and the run's exit code.
                    await foreach (var e in client.FollowAsync(runId, start, ct, only))
                    {
                        if (e.Line is not null)
                            printer.Write(e.Line);
                        printer.Flush();
                        if (e.End is not { } end)
                            continue;
                        var workflow =
                            end.Status == RunState.Failed && (await client.GetRunAsync(runId, ct)).Kind == "workflow";
                        return RunEnd.Report(end, format, workflow);
                    }
                    throw new CliException(
                        $"the log stream of run {runId} ended without its end event",
                        ExitCodes.PlatformFailure
                    );
                }
                return format == OutputFormat.Json
                    ? await PrintPagesAsync(client, runId, start, only, printer, ct)
                    : await PrintPagesAsTextAsync(client, runId, start, only, printer, ct);
            }
        );
        return command;
    }

    // The next page is asked for before this one is printed: the server reads it while the CLI writes.
    private static async Task<int> PrintPagesAsync(
        HearthClient client,
        string runId,
        long start,
        string? only,
        LogPrinter printer,
        CancellationToken ct
    )
    {
        var fetching = client.LogPageAsync(runId, start, ct, only);
        while (true)
        {
            var page = await fetching;
            var last = page.Lines.Count == 0 || page.Complete;
            if (!last)
                fetching = client.LogPageAsync(runId, page.Next, ct, only);
            foreach (var line in page.Lines)
                printer.Write(line);
            printer.Flush();
            if (last)
                return 0;
        }
    }

    private static async Task<int> PrintPagesAsTextAsync(
        HearthClient client,
        string runId,
        long start,
        string? only,
        LogPrinter printer,
        CancellationToken ct
    )
    {
        var fetching = client.LogPageBytesAsync(runId, start, ct, only);
        var from = start;
        while (true)
        {
            var (body, end) = await fetching;
            using (body)
            {
                // The server's headers say where the next page starts: it is asked for before this one is printed.
                var last = end is { } known && (known.Complete || known.Next <= from);
                if (end is not null && !last)
                {
                    from = end.Value.Next;
                    fetching = client.LogPageBytesAsync(runId, from, ct, only);
                }
                var page = LogPageText.Print(body.Span, printer);
                if (end is null)
                {
                    last = page.Lines == 0 || page.Complete;
                    if (!last)
                        fetching = client.LogPageBytesAsync(runId, from = page.Next, ct, only);
                }
                printer.Flush();
                if (last)
                    return 0;
            }
        }
    }
}
