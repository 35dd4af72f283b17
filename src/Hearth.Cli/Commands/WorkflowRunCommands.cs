using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Workflows.Execution;
using Hearth.Workflows.Loading;

namespace Hearth.Cli.Commands;

/// <summary>`hearth workflow run` and `hearth workflow status`: workflows on the cluster.</summary>
public static class WorkflowRunCommands
{
    public static Command Run()
    {
        var file = new Argument<string>("file") { Description = "Workflow file (KDL)" };
        var branch = new Option<string?>("--branch") { Description = "$BRANCH for conditions and steps" };
        var trigger = new Option<string>("--trigger")
        {
            Description = "$TRIGGER: push, pull_request, tag, schedule or manual",
            DefaultValueFactory = _ => "manual",
        };
        var commit = new Option<string?>("--commit") { Description = "$COMMIT_SHA" };
        var tag = new Option<string?>("--tag") { Description = "$TAG" };
        var pr = new Option<string?>("--pr") { Description = "$PR_NUMBER" };
        var vars = new Option<string[]>("--var")
        {
            Description = "Another variable K=V for conditions and the steps' environment, repeatable",
        };
        var importRoot = new Option<string?>("--import-root")
        {
            Description = "Resolve import URLs to files in this directory",
        };
        var detach = new Option<bool>("--detach", "-d") { Description = "Print the run id and return at once" };
        var repo = new Option<string?>("--repo")
        {
            Description =
                "The repository the workflow comes from (secrets scoped to repositories are given only to matching runs)",
        };
        var idempotencyKey = new Option<string?>("--idempotency-key")
        {
            Description =
                "Start the workflow run once: the same key again returns that run (a different request with it is refused)",
        };
        var command = new Command("run", "Run a workflow on the cluster: each step on an agent of its machine group")
        {
            file,
            branch,
            trigger,
            commit,
            tag,
            pr,
            vars,
            importRoot,
            detach,
            repo,
            idempotencyKey,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var variables = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["BRANCH"] = result.GetValue(branch) ?? "",
                    ["TRIGGER"] = result.GetValue(trigger)!,
                    ["COMMIT_SHA"] = result.GetValue(commit) ?? "",
                    ["TAG"] = result.GetValue(tag) ?? "",
                    ["PR_NUMBER"] = result.GetValue(pr) ?? "",
                };
                foreach (var pair in result.GetValue(vars) ?? [])
                {
                    var eq = pair.IndexOf('=');
                    if (eq <= 0)
                        throw new CliException($"--var '{pair}': expected KEY=VALUE", 2);
                    variables[pair[..eq]] = pair[(eq + 1)..];
                }

                using var http = result.GetValue(importRoot) is null ? new HttpClient() : null;
                var options = WorkflowLoaderOptions.ForCli(result.GetValue(importRoot), http) with
                {
                    ExtraConditionVariables = variables.Keys.ToHashSet(StringComparer.Ordinal),
                };
                var loaded = await new WorkflowLoader(options).LoadFileAsync(result.GetValue(file)!, ct);
                if (!loaded.Succeeded)
                {
                    foreach (var diagnostic in loaded.Diagnostics)
                        Console.Error.WriteLine(diagnostic);
                    return 1;
                }
                var workflow = loaded.Workflow!;
                if (!workflow.AcceptsTrigger(variables["TRIGGER"]))
                    throw new CliException(
                        $"{result.GetValue(file)}: the workflow's triggers are {string.Join(", ", workflow.Triggers)}, not '{variables["TRIGGER"]}' (pass --trigger)",
                        2
                    );

                var plan = WorkflowPlanner.Plan(workflow, variables, repository: result.GetValue(repo));
                using var client = CommonOptions.Client(result);
                var run = await client.CreateWorkflowRunAsync(
                    new CreateWorkflowRunBody(plan, result.GetValue(idempotencyKey)),
                    ct
                );
                var format = result.GetValue(CommonOptions.Output);
                if (result.GetValue(detach))
                {
                    if (format == OutputFormat.Json)
                        Output.Json(run);
                    else
                        Console.Out.WriteLine(run.Id);
                    return 0;
                }
                Console.Error.WriteLine(
                    $"hearth: run {run.Id} (workflow {plan.Name}, {plan.Steps.Count(s => s.Kind == PlanStepKind.Run)} steps)"
                );
                return await RunCommand.FollowAsync(client, run.Id, format, prefixSteps: true);
            }
        );
        return command;
    }

    public static Command Status()
    {
        var id = new Argument<string>("run") { Description = "Workflow run id" };
        var command = new Command("status", "Show a workflow run as a tree of steps with their state and duration")
        {
            id,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var view = await client.GetWorkflowRunAsync(result.GetValue(id)!, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(view);
                    return 0;
                }
                Console.Out.WriteLine(
                    $"{view.Run.Id}  {view.Name}  {Output.State(view.Run.Status)}{(view.Run.Reason is null ? "" : $"  ({view.Run.Reason})")}"
                );
                var depth = view.Steps.ToDictionary(s => s.Id, s => s.Id.Count(c => c == '.'));
                Output.Table(
                    ["STEP", "STATE", "DURATION", "MACHINE", "WHAT"],
                    view.Steps.Select(step =>
                        (IReadOnlyList<string>)
                            [
                                new string(' ', depth[step.Id] * 2) + step.Id,
                                step.State is { } state ? Output.Name(state) : "-",
                                step.StartedAt is { } start
                                    ? Core.Durations.Format((step.EndedAt ?? DateTimeOffset.UtcNow) - start)
                                    : "-",
                                step.Machine ?? "",
                                Describe(step),
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static string Describe(WorkflowStepView step)
    {
        var what = step.Kind switch
        {
            PlanStepKind.Run => step.Run!.ReplaceLineEndings(" ").Trim(),
            PlanStepKind.Parallel => "parallel",
            _ => "sequence",
        };
        if (what.Length > 50)
            what = what[..49] + "…";
        if (step.ExitCode is { } code && code != 0)
            what += $"  exit {code}";
        if (step.Reason is { } reason && !reason.StartsWith("exit code", StringComparison.Ordinal))
            what += $"  ({reason})";
        return what;
    }
}
