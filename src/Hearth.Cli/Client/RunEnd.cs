using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Cli.Client;

/// <summary>
/// How a followed run ends, the same for `hearth run` and `hearth logs -f`: a closing line and the run's code.
/// </summary>
public static class RunEnd
{
    /// <param name="workflow">A workflow has no exit code of its own: a failed step makes it exit 1.</param>
    public static int Report(LogEndView end, OutputFormat format, bool workflow)
    {
        var code = workflow && end.Status == RunState.Failed ? 1 : ExitCodes.ForRun(end.Status, end.ExitCode);
        if (format == OutputFormat.Json)
            Output.Json(end);
        else if (end.Status != RunState.Succeeded)
            Console.Error.WriteLine(
                $"hearth: run {end.RunId} {Output.State(end.Status)}{(end.Reason is null ? "" : $": {end.Reason}")}"
            );
        return code;
    }
}
