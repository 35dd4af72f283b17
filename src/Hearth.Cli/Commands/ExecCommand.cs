using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Core.Services;

namespace Hearth.Cli.Commands;

/// <summary>
/// <c>hearth exec SERVICE [--replica N] [-p PROJECT] -- CMD…</c>: runs a command in a running replica through its
/// agent's driver exec, its stdout and stderr streamed to this terminal's, its exit code the CLI's.
/// </summary>
public static class ExecCommand
{
    public static Command Create()
    {
        var service = new Argument<string>("service") { Description = "The service whose replica runs the command" };
        var argv = new Argument<string[]>("command")
        {
            Description = "The command and its arguments (after --)",
            Arity = ArgumentArity.OneOrMore,
        };
        var replica = new Option<int?>("--replica")
        {
            Description = "Which replica (api-2: 2; default: the first running one)",
        };
        var project = new Option<string?>("--project-name", "-p")
        {
            Description = "Project name (default: the compose file's)",
        };
        var files = new Option<string[]>("--file", "-f")
        {
            Description = "Compose file whose project it is (default compose.yaml)",
        };
        var command = new Command(
            "exec",
            "Run a command in a running replica of a service through its agent (stdout, stderr and the exit code are the "
                + "command's; stdin is not forwarded). Only the project's creator and admins may"
        )
        {
            service,
            argv,
            replica,
            project,
            files,
        };
        command.SetAction(
            async (result, ct) =>
            {
                if (result.GetValue(replica) is < 1)
                    throw new CliException("--replica: must be 1 or more", 2);
                var name = result.GetValue(project) is { Length: > 0 } p
                    ? p
                    : ServiceCommands.ProjectNameOf(result.GetValue(files) is { Length: > 0 } f ? f : [DefaultFile()]);
                using var client = CommonOptions.Client(result);
                var body = new ExecBody(result.GetValue(service)!, result.GetValue(argv)!, result.GetValue(replica));
                await using var stdout = Console.OpenStandardOutput();
                await using var stderr = Console.OpenStandardError();
                await foreach (
                    var e in client.PostNdjsonAsync<ExecBody, ExecEventView>(
                        $"{ServiceCommands.Path(name)}/exec",
                        body,
                        ct
                    )
                )
                {
                    if (e.Text is { } text)
                    {
                        var target = e.Stream == "stderr" ? stderr : stdout;
                        await target.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text + "\n"), ct);
                        await target.FlushAsync(ct);
                        continue;
                    }
                    if (e.Error is { } error)
                        throw new CliException($"exec in {name}/{body.Service}: {error}");
                    if (e.ExitCode is { } code)
                        return code;
                }
                throw new CliException($"the exec stream from {client.Server} ended without the command's exit code");
            }
        );
        return command;
    }

    private static string DefaultFile() =>
        new[] { "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml" }.FirstOrDefault(File.Exists)
        ?? throw new CliException("no project: give -p NAME or -f compose.yaml (none found here)", 2);
}
