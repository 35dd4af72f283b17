using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>
/// hearth secrets create|list|get|update|delete. Values come from a file or an environment variable, never from an
/// argument (arguments are visible to every user of the machine through ps).
/// </summary>
public static class SecretsCommand
{
    public static Command Create()
    {
        var command = new Command(
            "secrets",
            "Manage secrets injected into runs as environment variables (hearth run --secret NAME)"
        );
        command.Subcommands.Add(Write("create", "Create a secret", create: true));
        command.Subcommands.Add(
            Write("update", "Change a secret's value, variable name or description", create: false)
        );
        command.Subcommands.Add(List());
        command.Subcommands.Add(Get());
        command.Subcommands.Add(Delete());
        return command;
    }

    private static Command Write(string verb, string description, bool create)
    {
        var name = new Argument<string>("name") { Description = "Secret name (letters, digits, _ . -)" };
        var fromFile = new Option<string?>("--from-file")
        {
            Description = "Read the value from this file (as is; a final newline is dropped)",
        };
        var fromEnv = new Option<string?>("--from-env")
        {
            Description = "Read the value from this environment variable of the CLI",
        };
        var envName = new Option<string?>("--env-name")
        {
            Description = "The variable the sandbox sees (default: the name upper-cased, - and . as _)",
        };
        var about = new Option<string?>("--description") { Description = "What the secret is for" };
        var repos = new Option<string[]>("--repo")
        {
            Description =
                "Only runs from this repository may use the secret (URL or glob, repeatable; default: any run)",
        };
        var allowUsers = new Option<string[]>("--allow-user")
        {
            Description =
                "This user (email) may use the secret in runs, besides you and admins (repeatable; on update, replaces the list)",
        };
        var allowRoles = new Option<string[]>("--allow-role")
        {
            Description = "Users with this role may use the secret in runs (repeatable; on update, replaces the list)",
        };
        var ownerOnly = new Option<bool>("--owner-only")
        {
            Description = "On update: only the creator and admins may use it (empties both lists)",
        };
        var command = new Command(verb, description)
        {
            name,
            fromFile,
            fromEnv,
            envName,
            about,
            repos,
            allowUsers,
            allowRoles,
        };
        if (!create)
            command.Options.Add(ownerOnly);
        command.SetAction(
            async (result, ct) =>
            {
                var value = ReadValue(result.GetValue(fromFile), result.GetValue(fromEnv), required: create);
                var users = result.GetValue(allowUsers) is { Length: > 0 } u ? u : null;
                var roles = result.GetValue(allowRoles) is { Length: > 0 } r ? r : null;
                if (result.GetValue(ownerOnly))
                {
                    if (users is not null || roles is not null)
                        throw new CliException("--owner-only: not with --allow-user or --allow-role", 2);
                    users = [];
                    roles = [];
                }
                var body = new SecretBody(
                    result.GetValue(name),
                    value,
                    result.GetValue(envName),
                    result.GetValue(about),
                    result.GetValue(repos) is { Length: > 0 } scope ? scope : null,
                    users,
                    roles
                );
                using var client = CommonOptions.Client(result);
                var secretName = result.GetValue(name)!;
                var view = create
                    ? await client.SendJsonAsync<SecretView>(HttpMethod.Post, "api/v1/secrets", body, ct)
                    : await client.SendJsonAsync<SecretView>(
                        HttpMethod.Put,
                        $"api/v1/secrets/{Uri.EscapeDataString(secretName)}",
                        body,
                        ct
                    );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Console.Error.WriteLine(
                        $"hearth: secret {view.Name} {(create ? "created" : "updated")} (as ${view.EnvName} in runs)"
                    );
                return 0;
            }
        );
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List secrets (names and owners, never values)");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<SecretListView>(HttpMethod.Get, "api/v1/secrets", null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["NAME", "ENV", "OWNER", "USED BY", "UPDATED", "REPOSITORIES", "DESCRIPTION"],
                    list.Secrets.Select(s =>
                        (IReadOnlyList<string>)
                            [
                                s.Name,
                                s.EnvName,
                                s.CreatedBy,
                                UsedBy(s),
                                s.UpdatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"),
                                s.Repositories is { Count: > 0 } r ? string.Join(",", r) : "any",
                                s.Description ?? "",
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static Command Get()
    {
        var name = new Argument<string>("name");
        var command = new Command("get", "Print a secret's value (admins and the secret's owner only)") { name };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var secret = await client.SendJsonAsync<SecretValueView>(
                    HttpMethod.Get,
                    $"api/v1/secrets/{Uri.EscapeDataString(result.GetValue(name)!)}",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(secret);
                else
                    Console.Out.WriteLine(secret.Value);
                return 0;
            }
        );
        return command;
    }

    private static Command Delete()
    {
        var name = new Argument<string>("name");
        var command = new Command("delete", "Delete a secret (runs already accepted that name it will fail)") { name };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                await client.SendJsonAsync<System.Text.Json.JsonElement>(
                    HttpMethod.Delete,
                    $"api/v1/secrets/{Uri.EscapeDataString(result.GetValue(name)!)}",
                    null,
                    ct
                );
                Console.Error.WriteLine($"hearth: secret {result.GetValue(name)} deleted");
                return 0;
            }
        );
        return command;
    }

    /// <summary>
    /// Who may use the secret besides its owner and admins: "owner", or "owner,role:developer,ann@example.com".
    /// </summary>
    private static string UsedBy(SecretView s) =>
        string.Join(
            ",",
            new[] { "owner" }.Concat((s.AllowedRoles ?? []).Select(r => "role:" + r)).Concat(s.AllowedUsers ?? [])
        );

    private static string? ReadValue(string? file, string? variable, bool required)
    {
        if (file is not null && variable is not null)
            throw new CliException("give --from-file or --from-env, not both", 2);
        if (file is not null)
        {
            if (!File.Exists(file))
                throw new CliException($"--from-file {file}: no such file", 2);
            var text = File.ReadAllText(file);
            return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2]
                : text.EndsWith('\n') ? text[..^1]
                : text;
        }
        if (variable is not null)
            return Environment.GetEnvironmentVariable(variable)
                ?? throw new CliException($"--from-env {variable}: the variable is not set", 2);
        if (required)
            throw new CliException(
                "the value must come from --from-file FILE or --from-env VARIABLE (never the command line)",
                2
            );
        return null;
    }
}
