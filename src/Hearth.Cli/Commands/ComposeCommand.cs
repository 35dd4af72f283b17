using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Compose;
using Hearth.Compose.Output;

namespace Hearth.Cli.Commands;

public static class ComposeCommand
{
    public static Command Create()
    {
        var files = new Option<string[]>("--file", "-f")
        {
            Description = "Compose file, repeatable (later files override earlier ones; default compose.yaml)",
        };
        var profiles = new Option<string[]>("--profile") { Description = "Enable a profile, repeatable" };
        var envFiles = new Option<string[]>("--env-file")
        {
            Description = "Read variables from this file instead of .env, repeatable",
        };
        var project = new Option<string?>("--project-name", "-p") { Description = "Project name" };
        var noConsistency = new Option<bool>("--no-consistency")
        {
            Description = "Skip the whole-project checks (references, image or build)",
        };
        var noEnvResolution = new Option<bool>("--no-env-resolution")
        {
            Description = "Keep env_file references instead of reading them",
        };
        var config = new Command(
            "config",
            "Print the resolved, normalised compose model (as docker compose config does)"
        )
        {
            files,
            profiles,
            envFiles,
            project,
            noConsistency,
            noEnvResolution,
        };
        config.SetAction(result =>
        {
            var given = result.GetValue(files) is { Length: > 0 } f ? f : [DefaultFile()];
            var load = ComposeLoader.Load(
                new ComposeLoadOptions
                {
                    Files = given,
                    Profiles = result.GetValue(profiles) ?? [],
                    EnvFiles = result.GetValue(envFiles) ?? [],
                    ProjectName = result.GetValue(project),
                    Environment = Environment
                        .GetEnvironmentVariables()
                        .Cast<System.Collections.DictionaryEntry>()
                        .ToDictionary(e => (string)e.Key, e => (string)(e.Value ?? "")),
                    CheckConsistency = !result.GetValue(noConsistency),
                    ResolveEnvFiles = !result.GetValue(noEnvResolution),
                }
            );
            if (!load.Success)
            {
                foreach (var error in load.Errors)
                    Console.Error.WriteLine($"{error}");
                return 1;
            }
            Console.Out.Write(
                result.GetValue(CommonOptions.Output) == OutputFormat.Json
                    ? ComposeJsonWriter.Write(load.Project!)
                    : ComposeConfigWriter.Write(load.Project!)
            );
            return 0;
        });
        return new Command("compose", "Compose files: check and print them as Hearth reads them") { config };
    }

    private static string DefaultFile()
    {
        foreach (var name in new[] { "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml" })
        {
            if (File.Exists(name))
                return name;
        }
        throw new CliException(
            "no compose file given and none found (compose.yaml, docker-compose.yml); use -f FILE",
            2
        );
    }
}
