using Hearth.Cli;
using Hearth.Cli.Client;
using System.CommandLine;

var root = HearthCommands.CreateRoot();

try
{
    var parsed = root.Parse(args);
    // A bare `hearth` keeps the parser's answer: the help text.
    if (parsed.Errors.Count > 0 && args.Length > 0) return UsageErrors.Report(parsed);
    return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
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
