using System.CommandLine;
using System.Globalization;
using Hearth.Cli.Client;
using Hearth.Core.Api;
using Hearth.Workflows.Execution;
using Hearth.Workflows.Loading;

namespace Hearth.Cli.Commands;

/// <summary>hearth schedules add | list | remove: schedules stored on the server, fired by its scheduler.</summary>
public static class SchedulesCommand
{
    public static Command Create()
    {
        var command = new Command("schedules", "Stored schedules: run a workflow or a command at cron times, as you");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name")
        {
            Description = "Schedule name (a file with several schedule nodes adds NAME-1, NAME-2, …)",
        };
        var cron = new Option<string?>("--cron")
        {
            Description =
                "Cron spec (5 or 6 fields, @daily, TZ=ZONE …, @every 1h); default: the workflow file's schedule nodes",
        };
        var tz = new Option<string?>("--tz")
        {
            Description = "Time zone for a spec without TZ=: IANA name or offset such as +05:30; default UTC",
        };
        var missed = new Option<string?>("--missed")
        {
            Description = "Fire times missed while Hearth was down: skip (default) or once",
        };
        var workflow = new Option<string?>("--workflow")
        {
            Description = "Workflow file (KDL) to run; read now, with $TRIGGER=schedule",
        };
        var branch = new Option<string?>("--branch")
        {
            Description = "$BRANCH for the workflow's conditions and steps",
        };
        var vars = new Option<string[]>("--var") { Description = "Another workflow variable K=V, repeatable" };
        var importRoot = new Option<string?>("--import-root")
        {
            Description = "Resolve import URLs to files in this directory",
        };
        var repo = new Option<string?>("--repo") { Description = "The repository the workflow comes from" };
        var image = new Option<string?>("--image") { Description = "Image for a command" };
        var driver = new Option<string?>("--driver") { Description = "Driver for a command" };
        var commandArgs = new Argument<string[]>("command")
        {
            Description = "Command and arguments, after --",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command(
            "add",
            "Add a schedule: hearth schedules add NAME --cron SPEC -- CMD…, or --workflow FILE"
        )
        {
            name,
            cron,
            tz,
            missed,
            workflow,
            branch,
            vars,
            importRoot,
            repo,
            image,
            driver,
            commandArgs,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var argv = result.GetValue(commandArgs) ?? [];
                var file = result.GetValue(workflow);
                if ((file is null) == (argv.Length == 0 && result.GetValue(image) is null))
                    throw new CliException(
                        "give either --workflow FILE or a command after -- (what the schedule runs)",
                        2
                    );
                if (result.GetValue(missed) is { } policy && policy is not ("skip" or "once"))
                    throw new CliException($"--missed: expected skip or once, got '{policy}'", 2);
                var bodies = new List<CreateScheduleBody>();
                var common = new CreateScheduleBody
                {
                    Name = result.GetValue(name),
                    Spec = result.GetValue(cron),
                    TimeZone = result.GetValue(tz),
                    Missed = result.GetValue(missed),
                };
                if (file is null)
                {
                    if (common.Spec is null)
                        throw new CliException("--cron: a command schedule needs a spec", 2);
                    bodies.Add(
                        common with
                        {
                            Run = new CreateRunBody
                            {
                                Command = argv.Length > 0 ? argv : null,
                                Image = result.GetValue(image),
                                Driver = result.GetValue(driver),
                            },
                        }
                    );
                }
                else
                {
                    var plan = await PlanAsync(
                        file,
                        result.GetValue(branch),
                        result.GetValue(vars) ?? [],
                        result.GetValue(importRoot),
                        result.GetValue(repo),
                        ct
                    );
                    if (common.Spec is not null)
                    {
                        bodies.Add(common with { Workflow = plan.Plan, Source = file });
                    }
                    else
                    {
                        if (plan.Schedules.Count == 0)
                            throw new CliException($"{file}: the workflow has no schedule node; pass --cron SPEC", 2);
                        bodies.AddRange(
                            plan.Schedules.Select(
                                (s, i) =>
                                    common with
                                    {
                                        Name = plan.Schedules.Count == 1 ? common.Name : $"{common.Name}-{i + 1}",
                                        Spec = s.Spec,
                                        TimeZone = common.TimeZone ?? s.TimeZone,
                                        Missed = common.Missed
                                            ?? (s.Missed == Core.Schedules.MissedRunPolicy.Once ? "once" : "skip"),
                                        Workflow = plan.Plan,
                                        Source = s.Location.ToString(),
                                    }
                            )
                        );
                    }
                }
                using var client = CommonOptions.Client(result);
                var created = new List<ScheduleView>();
                foreach (var body in bodies)
                    created.Add(
                        await client.SendJsonAsync<ScheduleView>(HttpMethod.Post, "api/v1/schedules", body, ct)
                    );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(new ScheduleListView(created));
                else
                    foreach (var s in created)
                        Console.Error.WriteLine($"hearth: schedule {s.Name} added; next fire {Time(s.NextFireAt)}");
                return 0;
            }
        );
        return command;
    }

    private static async Task<(
        Core.Runs.WorkflowPlan Plan,
        IReadOnlyList<Workflows.Model.WorkflowSchedule> Schedules
    )> PlanAsync(string file, string? branch, string[] vars, string? importRoot, string? repo, CancellationToken ct)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["BRANCH"] = branch ?? "",
            ["TRIGGER"] = "schedule",
            ["COMMIT_SHA"] = "",
            ["TAG"] = "",
            ["PR_NUMBER"] = "",
        };
        foreach (var pair in vars)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new CliException($"--var '{pair}': expected KEY=VALUE", 2);
            variables[pair[..eq]] = pair[(eq + 1)..];
        }
        using var http = importRoot is null ? new HttpClient() : null;
        var options = WorkflowLoaderOptions.ForCli(importRoot, http) with
        {
            ExtraConditionVariables = variables.Keys.ToHashSet(StringComparer.Ordinal),
        };
        var loaded = await new WorkflowLoader(options).LoadFileAsync(file, ct);
        if (!loaded.Succeeded)
            throw new CliException(string.Join("\n", loaded.Diagnostics), 1);
        var workflow = loaded.Workflow!;
        if (!workflow.AcceptsTrigger("schedule"))
            throw new CliException(
                $"{file}: the workflow's triggers are {string.Join(", ", workflow.Triggers)}, not 'schedule'",
                2
            );
        return (WorkflowPlanner.Plan(workflow, variables, repository: repo), workflow.Schedules);
    }

    private static Command List()
    {
        var command = new Command("list", "List schedules with their next fire time and last run");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<ScheduleListView>(HttpMethod.Get, "api/v1/schedules", null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["NAME", "SPEC", "ZONE", "MISSED", "NEXT", "LAST RUN", "OWNER", "RUNS"],
                    list.Schedules.Select(s =>
                        (IReadOnlyList<string>)
                            [
                                s.Name,
                                s.Spec,
                                s.TimeZone ?? "-",
                                s.Missed,
                                Time(s.NextFireAt),
                                s.LastRunId ?? (s.LastError is null ? "-" : "error"),
                                s.CreatedBy,
                                $"{s.Target}: {s.Summary}",
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "Schedule name" };
        var command = new Command("remove", "Remove a schedule (the runs it started are kept)") { name };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var removed = await client.SendJsonAsync<ScheduleView>(
                    HttpMethod.Delete,
                    $"api/v1/schedules/{Uri.EscapeDataString(result.GetValue(name)!)}",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(removed);
                else
                    Console.Error.WriteLine($"hearth: schedule {removed.Name} removed");
                return 0;
            }
        );
        return command;
    }

    private static string Time(DateTimeOffset? at) =>
        at?.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) ?? "never";
}
