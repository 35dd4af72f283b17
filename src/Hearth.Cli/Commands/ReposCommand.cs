using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth repos add|list|remove|rotate-secret: repositories whose webhooks start workflows. Secrets and tokens come
/// from files, never from arguments (arguments are visible to every user of the machine through ps).
/// </summary>
public static class ReposCommand
{
    private static readonly string[] Forges = ["github", "gitlab", "gitea", "forgejo", "bitbucket"];

    public static Command Create()
    {
        var command = new Command("repos", "Repositories whose webhooks start workflows (read at the pushed commit)");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        command.Subcommands.Add(RotateSecret());
        command.Subcommands.Add(Statuses());
        command.Subcommands.Add(SecretGrants());
        return command;
    }

    private static Command Add()
    {
        var forge = new Option<string>("--forge")
        {
            Description = "github, gitlab, gitea, forgejo or bitbucket",
            Required = true,
        };
        forge.AcceptOnlyFromAmong(Forges);
        var url = new Option<string>("--url")
        {
            Description = "The repository's clone URL (https://…, or file:// for a local one)",
            Required = true,
        };
        var secretFile = new Option<string>("--secret-file")
        {
            Description = "File holding the webhook secret (GitLab: the secret token)",
            Required = true,
        };
        var previousFile = new Option<string?>("--previous-secret-file")
        {
            Description = "During a rotation: the secret being replaced, which verifies too",
        };
        var tokenFile = new Option<string?>("--token-file")
        {
            Description = "File holding a token that may read the repository (git fetch over HTTPS)",
        };
        var workflows = new Option<string[]>("--workflow")
        {
            Description = "A workflow file of the repository, e.g. .hearth/ci.kdl (repeatable; at least one)",
            Arity = ArgumentArity.OneOrMore,
            Required = true,
        };
        var name = new Option<string?>("--name")
        {
            Description = "The repository's name in Hearth (default: the URL's owner-name, e.g. team-app)",
        };
        var apiUrl = new Option<string?>("--api-url")
        {
            Description =
                "The forge's REST API base for commit statuses (default: from --url, e.g. https://api.github.com, https://HOST/api/v4)",
        };
        var command = new Command("add", "Register a repository and print the webhook URL to give the forge")
        {
            forge,
            url,
            secretFile,
            previousFile,
            tokenFile,
            workflows,
            name,
            apiUrl,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var body = new RepositoryBody(
                    result.GetValue(name),
                    result.GetValue(forge),
                    result.GetValue(url),
                    ReadFile("--secret-file", result.GetValue(secretFile)!),
                    result.GetValue(previousFile) is { } p ? ReadFile("--previous-secret-file", p) : null,
                    result.GetValue(tokenFile) is { } t ? ReadFile("--token-file", t) : null,
                    result.GetValue(workflows),
                    result.GetValue(apiUrl)
                );
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<RepositoryView>(HttpMethod.Post, "api/v1/repos", body, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(view);
                    return 0;
                }
                Console.Error.WriteLine(
                    $"hearth: repository {view.Name} added; give {view.Forge} this webhook URL (content type JSON):"
                );
                Console.Out.WriteLine(client.Server.TrimEnd('/') + view.WebhookPath);
                return 0;
            }
        );
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List repositories (never their secrets or tokens)");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<RepositoryListView>(HttpMethod.Get, "api/v1/repos", null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["NAME", "FORGE", "URL", "WORKFLOWS", "TOKEN", "SECRETS", "WEBHOOK"],
                    list.Repositories.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                r.Name,
                                r.Forge,
                                r.Url,
                                string.Join(",", r.Workflows),
                                r.HasToken ? "yes" : "no",
                                r.ActiveSecrets.ToString(),
                                r.WebhookPath,
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
        var name = new Argument<string>("name") { Description = "Repository name (hearth repos list)" };
        var command = new Command("remove", "Remove a repository: its deliveries are refused from then on") { name };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<MessageView>(
                    HttpMethod.Delete,
                    $"api/v1/repos/{Uri.EscapeDataString(result.GetValue(name)!)}",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Console.Error.WriteLine($"hearth: {view.Message}");
                return 0;
            }
        );
        return command;
    }

    private static Command RotateSecret()
    {
        var name = new Argument<string>("name") { Description = "Repository name" };
        var secretFile = new Option<string>("--secret-file")
        {
            Description = "File holding the new webhook secret",
            Required = true,
        };
        var drop = new Option<bool>("--drop-previous")
        {
            Description = "Stop accepting the current secret at once (default: both verify until the next rotation)",
        };
        var command = new Command(
            "rotate-secret",
            "Give a repository a new webhook secret; the current one keeps verifying beside it"
        )
        {
            name,
            secretFile,
            drop,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<RepositoryView>(
                    HttpMethod.Put,
                    $"api/v1/repos/{Uri.EscapeDataString(result.GetValue(name)!)}/secret",
                    new RepositorySecretBody(
                        ReadFile("--secret-file", result.GetValue(secretFile)!),
                        !result.GetValue(drop)
                    ),
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Console.Error.WriteLine(
                        $"hearth: repository {view.Name}: {view.ActiveSecrets} webhook secret(s) active"
                    );
                return 0;
            }
        );
        return command;
    }

    private static Command SecretGrants()
    {
        var name = new Argument<string>("name") { Description = "Repository name" };
        var grant = new Option<string[]>("--grant")
        {
            Description = "A secret (hearth secrets list) the repository's runs may use (repeatable)",
        };
        var revoke = new Option<string[]>("--revoke") { Description = "A secret to take back (repeatable)" };
        var command = new Command(
            "secrets",
            "Show, grant (admins) or revoke the secrets a repository's runs may use; a pull request from a fork never gets them"
        )
        {
            name,
            grant,
            revoke,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var path = $"api/v1/repos/{Uri.EscapeDataString(result.GetValue(name)!)}";
                var (grants, revokes) = (result.GetValue(grant) ?? [], result.GetValue(revoke) ?? []);
                var view =
                    grants.Length + revokes.Length == 0
                        ? await client.SendJsonAsync<RepositoryView>(HttpMethod.Get, path, null, ct)
                        : await client.SendJsonAsync<RepositoryView>(
                            HttpMethod.Put,
                            path + "/secrets",
                            new RepositorySecretsBody(grants, revokes),
                            ct
                        );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    foreach (var secret in view.GrantedSecrets ?? [])
                        Console.Out.WriteLine(secret);
                return 0;
            }
        );
        return command;
    }

    private static Command Statuses()
    {
        var name = new Argument<string>("name") { Description = "Repository name" };
        var command = new Command(
            "statuses",
            "The commit statuses sent to the repository's forge (newest first), and any that failed"
        )
        {
            name,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<CommitStatusListView>(
                    HttpMethod.Get,
                    $"api/v1/repos/{Uri.EscapeDataString(result.GetValue(name)!)}/statuses",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["RUN", "COMMIT", "CONTEXT", "STATE", "OUTCOME", "ATTEMPTS", "ERROR"],
                    list.Statuses.Select(s =>
                        (IReadOnlyList<string>)
                            [
                                s.RunId,
                                s.Sha[..Math.Min(12, s.Sha.Length)],
                                s.Context,
                                s.State,
                                s.Outcome,
                                s.Attempts.ToString(),
                                s.Error ?? "",
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    /// <summary>Trigger: hearth workflow trigger REPO --ref R [--workflow PATH].</summary>
    public static Command Trigger()
    {
        var repo = new Argument<string>("repo") { Description = "Repository name (hearth repos list)" };
        var reference = new Option<string>("--ref")
        {
            Description = "Branch, tag (refs/tags/T) or commit SHA",
            Required = true,
        };
        var workflow = new Option<string?>("--workflow")
        {
            Description = "One of the repository's workflow files (default: each whose triggers include manual)",
        };
        var command = new Command("trigger", "Start a repository's workflows by hand at a ref (the manual trigger)")
        {
            repo,
            reference,
            workflow,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<DeliveryView>(
                    HttpMethod.Post,
                    $"api/v1/repos/{Uri.EscapeDataString(result.GetValue(repo)!)}/trigger",
                    new TriggerBody(result.GetValue(reference), result.GetValue(workflow)),
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                {
                    foreach (var match in view.Workflows)
                    {
                        if (match.RunId is { } id)
                            Console.Out.WriteLine(id);
                        Console.Error.WriteLine(
                            match.RunId is { } run
                                ? $"hearth: {match.Workflow}: run {run}"
                                : $"hearth: {match.Workflow}: not started ({match.Skipped})"
                        );
                    }
                }
                return view.RunIds.Count > 0 ? 0 : 1;
            }
        );
        return command;
    }

    private static string ReadFile(string option, string path)
    {
        if (!File.Exists(path))
            throw new CliException($"{option} {path}: no such file", 2);
        var text = File.ReadAllText(path);
        text =
            text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
            : text.EndsWith('\n') ? text[..^1]
            : text;
        if (text.Length == 0)
            throw new CliException($"{option} {path}: the file is empty", 2);
        return text;
    }
}
