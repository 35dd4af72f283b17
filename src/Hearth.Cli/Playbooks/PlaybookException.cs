namespace Hearth.Cli.Playbooks;

/// <summary>A playbook that cannot be used, said as file:line: key: what is wrong.</summary>
public sealed class PlaybookException(string message) : Exception(message);
