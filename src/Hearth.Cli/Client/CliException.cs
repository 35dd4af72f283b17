namespace Hearth.Cli.Client;

/// <summary>An error the CLI reports in one line and an exit code, without a stack trace.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
