using System.CommandLine;
using Hearth.Cli;
using Hearth.Cli.Client;

Command root = HearthCommands.IsCompletionRequest(args)
    ? HearthCommands.CreateCompletionRoot()
    : HearthCommands.CreateRoot();

try
{
    // A bare `hearth` prints the help text, as docker and gh do.
    // No @file response files: an argument such as a schedule's "@daily" or "@every 1h" is itself.
    var parsed = root.Parse(
        args.Length == 0 ? ["--help"] : args,
        new ParserConfiguration { ResponseFileTokenReplacer = null }
    );
    if (parsed.Errors.Count > 0)
        return UsageErrors.Report(parsed);
    using var tracing = CliTracing.Start(args);
    using var span = tracing is null ? null : CliTracing.StartCommand(args);
    return await parsed.InvokeAsync(
        new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }
    );
}
catch (CliException e)
{
    Console.Error.WriteLine($"hearth: {e.Message}");
    return e.ExitCode;
}
catch (Hearth.Server.Configuration.ConfigException e)
{
    // A bad setting or key file found while starting a server: one line naming it, no stack trace.
    Console.Error.WriteLine($"hearth: {e.Message}");
    return 2;
}
