using Hearth.Cli.Client;

namespace Hearth.Cli.Commands;

/// <summary>
/// Where `hearth agent` gets its token: a file (--token-file) or HEARTH_AGENT_TOKEN. Never the command line, which
/// every local user can read in /proc/PID/cmdline.
/// </summary>
public static class AgentToken
{
    public const string Variable = "HEARTH_AGENT_TOKEN";

    public static string Read(string? onCommandLine, string? file)
    {
        if (onCommandLine is not null)
            throw new CliException(
                "--token: a token on the command line is visible to every local user (/proc/PID/cmdline); "
                    + $"put it in a file for --token-file, or in {Variable}",
                2
            );
        if (file is not null)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException($"--token-file '{file}': cannot read it ({e.Message})", 2);
            }
            var token = text.Trim();
            return token.Length > 0 && !token.Contains('\n')
                ? token
                : throw new CliException($"--token-file '{file}': expected one line holding the agent token", 2);
        }
        var fromEnvironment = Environment.GetEnvironmentVariable(Variable);
        return string.IsNullOrWhiteSpace(fromEnvironment)
            ? throw new CliException($"--token-file: required (or set {Variable})", 2)
            : fromEnvironment.Trim();
    }
}
