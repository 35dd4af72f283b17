using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>hearth users create|list|revoke.</summary>
public static class UsersCommand
{
    public static Command Create()
    {
        var command = new Command("users", "Manage users: create (prints a one-time claim token), list, revoke");
        command.Subcommands.Add(CreateUser());
        command.Subcommands.Add(ListUsers());
        command.Subcommands.Add(RevokeUser());
        return command;
    }

    private static Command CreateUser()
    {
        var email = new Argument<string>("email") { Description = "The user's email address" };
        var role = new Option<string>("--role")
        {
            Description = "admin, operator, developer or viewer",
            Required = true,
        };
        var command = new Command("create", "Create a user; prints a claim token (single use, 15 minutes) to give them")
        {
            email,
            role,
        };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var created = await client.SendJsonAsync<CreatedUserView>(
                    HttpMethod.Post,
                    "api/v1/users",
                    new CreateUserBody(result.GetValue(email), result.GetValue(role)),
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(created);
                    return 0;
                }
                Console.Out.WriteLine(created.ClaimToken);
                Console.Error.WriteLine(
                    $"hearth: user {created.User.Email} ({created.User.Role}) created; the token above expires at {created.ClaimExpiresAt.ToLocalTime():HH:mm:ss} and works once:"
                );
                Console.Error.WriteLine($"hearth:   hearth claim {created.ClaimToken} --server {client.Server}");
                return 0;
            }
        );
        return command;
    }

    private static Command ListUsers()
    {
        var command = new Command("list", "List users");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<UserListView>(HttpMethod.Get, "api/v1/users", null, ct);
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["EMAIL", "ROLE", "CREATED", "CREATED BY", "STATUS"],
                    list.Users.Select(u =>
                        (IReadOnlyList<string>)
                            [
                                u.Email,
                                u.Role,
                                u.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"),
                                u.CreatedBy,
                                u.Revoked ? "revoked" : "active",
                            ]
                    )
                );
                return 0;
            }
        );
        return command;
    }

    private static Command RevokeUser()
    {
        var email = new Argument<string>("email") { Description = "The user to revoke, with all their keys" };
        var command = new Command("revoke", "Revoke a user and every key they hold") { email };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                await client.SendJsonAsync<System.Text.Json.JsonElement>(
                    HttpMethod.Post,
                    $"api/v1/users/{Uri.EscapeDataString(result.GetValue(email)!)}/revoke",
                    null,
                    ct
                );
                Console.Error.WriteLine($"hearth: user {result.GetValue(email)} revoked");
                return 0;
            }
        );
        return command;
    }
}
