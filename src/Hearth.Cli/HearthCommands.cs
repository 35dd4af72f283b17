using System.CommandLine;
using Hearth.Cli.Commands;

namespace Hearth.Cli;

/// <summary>The whole `hearth` command tree, built in one place so tests can walk it (aliases, -o json, completion).</summary>
public static class HearthCommands
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Hearth: run commands, workflows, CI jobs and services in sandboxes on a fleet of agents")
        {
            CommonOptions.Server,
            CommonOptions.ApiKey,
            CommonOptions.Output,
        };
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
        root.Subcommands.Add(WorkflowCommand.Create());
        root.Subcommands.Add(ImagesCommand.Create());
        root.Subcommands.Add(UsersCommand.Create());
        root.Subcommands.Add(ClaimCommand.Create());
        root.Subcommands.Add(ConfigureCommand.Create());
        root.Subcommands.Add(SecretsCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(AuditCommand.CreateTrace());
        root.Subcommands.Add(LocksCommand.Create());
        root.Subcommands.Add(PlaybookCommand.Create());
        root.Subcommands.Add(ApiCommand.Create());
        root.Subcommands.Add(CompletionCommand.Create());
        return root;
    }
}
