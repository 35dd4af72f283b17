using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Hearth.Cli;

/// <summary>
/// `--help` and `--version` as the root carries them. System.CommandLine's own HelpOption and VersionOption read their
/// descriptions through a ResourceManager in their constructors, and loading it (reflection over the assembly's
/// attributes, then the resource stream) was the largest single part of every CLI call's start-up, help or not. These
/// are the same options with the text written here; help itself is still System.CommandLine's HelpAction.
/// </summary>
public static class RootOptions
{
    public static Option<bool> Help() =>
        new("--help", "-h", "-?")
        {
            Description = "Show help and usage information",
            Arity = ArgumentArity.Zero,
            Recursive = true,
            Action = new HelpAction(),
        };

    public static Option<bool> Version() =>
        new("--version")
        {
            Description = "Show version information",
            Arity = ArgumentArity.Zero,
            Action = new PrintVersion(),
        };

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildVersion.Informational);
            return 0;
        }
    }
}
