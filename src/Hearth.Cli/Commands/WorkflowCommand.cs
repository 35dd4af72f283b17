using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Workflows;
using Hearth.Workflows.Inspection;
using Hearth.Workflows.Loading;

namespace Hearth.Cli.Commands;

public static class WorkflowCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("file")
        {
            Description = "Workflow files (KDL)",
            Arity = ArgumentArity.OneOrMore,
        };
        var importRoot = new Option<string?>("--import-root")
        {
            Description = "Resolve import URLs to files in this directory, by their last path segment (offline checks)",
        };
        var validate = new Command(
            "validate",
            "Check workflow files; prints file:line:col: error: … and exits 1 on any error"
        )
        {
            files,
            importRoot,
        };
        validate.SetAction(
            async (result, ct) =>
            {
                using var http = result.GetValue(importRoot) is null ? new HttpClient() : null;
                var report = await WorkflowValidator
                    .ForCli(result.GetValue(importRoot), http)
                    .ValidateAsync(result.GetValue(files)!, ct);
                foreach (var line in report.Lines)
                    Console.Error.WriteLine(line);
                if (report.ExitCode == 0)
                    Console.Error.WriteLine($"{report.FileCount} file(s) valid");
                return report.ExitCode;
            }
        );

        var file = new Argument<string>("file") { Description = "Workflow file (KDL)" };
        var inspectRoot = new Option<string?>("--import-root")
        {
            Description = "Resolve import URLs to files in this directory",
        };
        var inspect = new Command(
            "inspect",
            "Print the flattened graph: each fragment with its parent, order, machine, condition and source"
        )
        {
            file,
            inspectRoot,
        };
        inspect.SetAction(
            async (result, ct) =>
            {
                using var http = result.GetValue(inspectRoot) is null ? new HttpClient() : null;
                var loaded = await new WorkflowLoader(
                    WorkflowLoaderOptions.ForCli(result.GetValue(inspectRoot), http)
                ).LoadFileAsync(result.GetValue(file)!, ct);
                if (!loaded.Succeeded)
                {
                    foreach (var diagnostic in loaded.Diagnostics)
                        Console.Error.WriteLine(diagnostic);
                    return 1;
                }
                var rows = WorkflowInspector.Rows(loaded.Workflow!);
                Console.Out.WriteLine(
                    result.GetValue(CommonOptions.Output) == OutputFormat.Json
                        ? WorkflowInspector.ToJson(rows)
                        : WorkflowInspector.ToTable(rows).TrimEnd()
                );
                return 0;
            }
        );
        return new Command("workflow", "KDL workflows: validate, inspect, run, status, trigger")
        {
            validate,
            inspect,
            WorkflowRunCommands.Run(),
            WorkflowRunCommands.Status(),
            ReposCommand.Trigger(),
        };
    }
}
