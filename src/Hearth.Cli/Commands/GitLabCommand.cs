using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Api;

namespace Hearth.Cli.Commands;

/// <summary>hearth gitlab add | list | remove: the GitLab runners the server takes CI jobs for.</summary>
public static class GitLabCommand
{
    public static Command Create()
    {
        var command = new Command(
            "gitlab",
            "GitLab runners: Hearth takes their CI jobs and runs each in a fresh sandbox"
        );
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command Add()
    {
        var url = new Option<string>("--url")
        {
            Description = "GitLab's address, e.g. https://gitlab.example.com",
            Required = true,
        };
        var tokenFile = new Option<string>("--token-file")
        {
            Description = "A file holding the runner's authentication token (glrt-…), created in GitLab",
            Required = true,
        };
        var name = new Option<string>("--name")
        {
            Description = "The runner's name in Hearth (default: gitlab)",
            DefaultValueFactory = _ => "gitlab",
        };
        var tags = new Option<string[]>("--tags")
        {
            Description =
                "Job tags this runner takes besides firecracker*, microvm*, firerunner*, actuated* (comma-separated, repeatable)",
            AllowMultipleArgumentsPerToken = true,
        };
        var driver = new Option<string>("--driver")
        {
            Description = "The driver jobs run on: oci (default), microvm or bubblewrap",
        };
        var image = new Option<string>("--image") { Description = "The image of jobs that name none" };
        var command = new Command(
            "add",
            "Add a GitLab runner: GitLab verifies its token, which is then stored encrypted"
        )
        {
            url,
            tokenFile,
            name,
            tags,
            driver,
            image,
        };
        command.SetAction(
            async (result, ct) =>
            {
                var path = result.GetValue(tokenFile)!;
                string token;
                try
                {
                    token = (await File.ReadAllTextAsync(path, ct)).Trim();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"--token-file {path}: cannot read it ({e.Message})", 2);
                }
                if (token.Length == 0)
                    throw new CliException(
                        $"--token-file {path}: the file is empty; expected the runner's token (glrt-…)",
                        2
                    );
                var tagList = (result.GetValue(tags) ?? [])
                    .SelectMany(t =>
                        t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    )
                    .ToList();
                using var client = CommonOptions.Client(result);
                var view = await client.SendJsonAsync<GitLabRunnerView>(
                    HttpMethod.Post,
                    "api/v1/gitlab/runners",
                    new GitLabRunnerBody(
                        result.GetValue(name),
                        result.GetValue(url),
                        token,
                        tagList,
                        result.GetValue(driver),
                        result.GetValue(image)
                    ),
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(view);
                else
                    Console.Error.WriteLine(
                        $"hearth: GitLab runner {view.Name} added (GitLab runner id {view.RunnerId?.ToString() ?? "?"}, driver {view.Driver})"
                    );
                return 0;
            }
        );
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List GitLab runners (never their tokens)");
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var list = await client.SendJsonAsync<GitLabRunnerListView>(
                    HttpMethod.Get,
                    "api/v1/gitlab/runners",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                {
                    Output.Json(list);
                    return 0;
                }
                Output.Table(
                    ["NAME", "URL", "DRIVER", "IMAGE", "TAGS", "ADDED"],
                    list.Runners.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                r.Name,
                                r.Url,
                                r.Driver,
                                r.Image ?? "-",
                                r.Tags.Count == 0 ? "-" : string.Join(",", r.Tags),
                                r.CreatedAt.ToString("u"),
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
        var name = new Argument<string>("name") { Description = "The runner's name" };
        var command = new Command("remove", "Remove a GitLab runner (it takes no more jobs)") { name };
        command.SetAction(
            async (result, ct) =>
            {
                using var client = CommonOptions.Client(result);
                var answer = await client.SendJsonAsync<MessageView>(
                    HttpMethod.Delete,
                    $"api/v1/gitlab/runners/{Uri.EscapeDataString(result.GetValue(name)!)}",
                    null,
                    ct
                );
                if (result.GetValue(CommonOptions.Output) == OutputFormat.Json)
                    Output.Json(answer);
                else
                    Console.Error.WriteLine($"hearth: {answer.Message}");
                return 0;
            }
        );
        return command;
    }
}
