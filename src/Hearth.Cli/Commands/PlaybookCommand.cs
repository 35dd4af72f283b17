using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Cli.Playbooks;

namespace Hearth.Cli.Commands;

/// <summary>hearth playbook list | show NAME | run NAME [overrides as for hearth run].</summary>
public static class PlaybookCommand
{
    public static Command Create()
    {
        var command = new Command("playbook", "Named runs kept as YAML in ./.hearth/ or ~/.config/hearth/playbooks/");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Run());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the playbooks found, with their descriptions");
        command.SetAction(
            (result, _) =>
            {
                var found = new List<PlaybookSummary>();
                var failed = false;
                foreach (var (name, file) in PlaybookCatalog.Files())
                {
                    try
                    {
                        found.Add(new PlaybookSummary(name, PlaybookReader.Read(file).Description, file));
                    }
                    catch (PlaybookException e)
                    {
                        Console.Error.WriteLine($"hearth: {e.Message}");
                        failed = true;
                    }
                }
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(new PlaybookListView(found));
                else
                    Output.Table(
                        ["NAME", "DESCRIPTION", "FILE"],
                        found.Select(p => (IReadOnlyList<string>)[p.Name, p.Description ?? "-", p.File])
                    );
                return Task.FromResult(failed ? 2 : 0);
            }
        );
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name") { Description = "Playbook name (its file name without .yaml)" };
        var command = new Command("show", "Show a playbook as it will run") { name };
        command.SetAction(
            (result, _) =>
            {
                var playbook = PlaybookCatalog.Load(result.GetValue(name)!);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(playbook);
                    return Task.FromResult(0);
                }
                var rows = new List<(string, string?)>
                {
                    ("NAME", playbook.Name),
                    ("FILE", playbook.File),
                    ("DESCRIPTION", playbook.Description),
                    ("IMAGE", playbook.Image),
                    ("GIT REPO", playbook.GitRepo),
                    ("GIT REF", playbook.GitRef),
                    ("GIT PATH", playbook.GitPath),
                    ("LOCK", playbook.Lock),
                    ("SECRETS", playbook.Secrets.Count == 0 ? null : string.Join(", ", playbook.Secrets)),
                };
                foreach (var (key, value) in rows)
                    Console.Out.WriteLine($"{key, -12} {value ?? "-"}");
                foreach (var (key, value) in playbook.Env)
                    Console.Out.WriteLine($"{"ENV", -12} {key}={value}");
                foreach (var line in playbook.Commands)
                    Console.Out.WriteLine($"{"COMMAND", -12} {line}");
                return Task.FromResult(0);
            }
        );
        return command;
    }

    private static Command Run()
    {
        var name = new Argument<string>("name") { Description = "Playbook name" };
        var image = new Option<string?>("--image", "-i") { Description = "Override the playbook's image" };
        var env = new Option<string[]>("--env", "-e")
        {
            Description = "Set or override an environment variable (K=V), repeatable",
        };
        var secrets = new Option<string[]>("--secret") { Description = "Add a secret to the playbook's, repeatable" };
        var timeout = new Option<string?>("--timeout") { Description = "Stop the run after this long" };
        var driver = new Option<string?>("--driver") { Description = "process or bubblewrap (default: the agent's)" };
        var network = new Option<bool>("--network") { Description = "Give the sandbox a network" };
        var labels = new Option<string?>("--labels") { Description = "Only agents with these labels (k=v,k2=v2)" };
        var detach = new Option<bool>("--detach", "-d") { Description = "Print the run id and return at once" };
        var workspace = new RunLockGitOptions();
        var command = new Command("run", "Run a playbook; the options override what the file says")
        {
            name,
            image,
            env,
            secrets,
            timeout,
            driver,
            network,
            labels,
            detach,
        };
        foreach (var option in workspace.All)
            command.Options.Add(option);
        command.SetAction(
            async (result, ct) =>
            {
                var playbook = PlaybookCatalog.Load(result.GetValue(name)!);
                var variables = playbook
                    .Env.Select(p => $"{p.Key}={p.Value}")
                    .Concat(result.GetValue(env) ?? [])
                    .ToArray();
                var body = RunCommand.BuildBody(
                    [.. playbook.Command],
                    variables,
                    result.GetValue(timeout),
                    null,
                    null,
                    null,
                    result.GetValue(driver),
                    result.GetValue(network),
                    null,
                    result.GetValue(labels),
                    result.GetValue(image) ?? playbook.Image
                );
                if (body.Image is not null)
                    body = body with { Command = playbook.Command };
                var allSecrets = playbook
                    .Secrets.Concat(result.GetValue(secrets) ?? [])
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                body = body with
                {
                    Secrets = allSecrets.Count > 0 ? allSecrets : null,
                    Lock = playbook.Lock,
                    GitRepo = playbook.GitRepo,
                    GitRef = playbook.GitRef,
                    GitPath = playbook.GitPath,
                    GitSecret = playbook.GitSecret,
                };
                body = workspace.Apply(result, body);
                using var client = CommonOptions.Client(result);
                var run = await client.CreateRunAsync(body, ct);
                if (result.GetValue(detach))
                {
                    Console.Out.WriteLine(run.Id);
                    return 0;
                }
                Console.Error.WriteLine($"hearth: run {run.Id} (playbook {playbook.Name})");
                return await RunCommand.FollowAsync(client, run.Id, result.GetValue(CommonOptions.Output));
            }
        );
        return command;
    }
}
