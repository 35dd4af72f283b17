using System.CommandLine;
using Hearth.Cli.Commands;

namespace Hearth.Cli;

/// <summary>
/// The whole `hearth` command tree, built in one place so tests can walk it (aliases, -o json, completion).
/// </summary>
public static class HearthCommands
{
    private const string Description =
        "Hearth: run commands, workflows, CI jobs and services in sandboxes on a fleet of agents";

    /// <summary>The tree every call parses: a plain root command with Hearth's own --help and --version.</summary>
    public static Command CreateRoot() =>
        AddAll(new Command("hearth", Description) { RootOptions.Help(), RootOptions.Version() });

    /// <summary>
    /// The same tree under System.CommandLine's RootCommand, for shell completion: only a RootCommand takes the
    /// [suggest:POSITION] directive the completion scripts send. It brings its own --help and --version.
    /// </summary>
    public static RootCommand CreateCompletionRoot() => AddAll(new RootCommand(Description));

    /// <summary>True when the call is a completion script asking what may come next.</summary>
    public static bool IsCompletionRequest(string[] args) =>
        args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal);

    private static T AddAll<T>(T root)
        where T : Command
    {
        root.Options.Add(CommonOptions.Server);
        root.Options.Add(CommonOptions.ApiKey);
        root.Options.Add(CommonOptions.Output);
        root.Subcommands.Add(DevCommand.Create());
        root.Subcommands.Add(ServerCommand.Create());
        root.Subcommands.Add(AgentCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(ListCommand.Create());
        root.Subcommands.Add(KillCommand.Create());
        root.Subcommands.Add(AgentsCommand.Create());
        root.Subcommands.Add(ComposeCommand.Create());
        foreach (var command in ServiceCommands.Create())
            root.Subcommands.Add(command);
        root.Subcommands.Add(ExecCommand.Create());
        root.Subcommands.Add(WorkflowCommand.Create());
        root.Subcommands.Add(ImagesCommand.Create());
        root.Subcommands.Add(GitLabCommand.Create());
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(ClaimCommand.Create());
        root.Subcommands.Add(ConfigureCommand.Create());
        root.Subcommands.Add(SecretsCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(AuditCommand.CreateTrace());
        root.Subcommands.Add(LocksCommand.Create());
        root.Subcommands.Add(ReposCommand.Create());
        root.Subcommands.Add(ScheduleCommand.Create());
        root.Subcommands.Add(SchedulesCommand.Create());
        root.Subcommands.Add(PlaybookCommand.Create());
        root.Subcommands.Add(ApiCommand.Create());
        root.Subcommands.Add(CompletionCommand.Create());
        return root;
    }
}
