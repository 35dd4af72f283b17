using Hearth.Core.Api;
using Hearth.Core.Runs;

namespace Hearth.Cli.Client;

/// <summary>A run's exit code is the CLI's: the command's own code, or a fixed code when it has none.</summary>
public static class ExitCodes
{
    public const int Killed = 130;

    /// <summary>As GNU timeout(1).</summary>
    public const int TimedOut = 124;

    /// <summary>As docker run: the platform failed (agent lost, sandbox failed to start).</summary>
    public const int PlatformFailure = 125;

    public static int ForRun(RunState status, int? exitCode) =>
        status switch
        {
            RunState.Succeeded => 0,
            RunState.Failed => exitCode is { } code and not 0 ? code : PlatformFailure,
            RunState.Stopped => Killed,
            RunState.TimedOut => TimedOut,
            _ => 0,
        };

    public static int ForRun(RunView run) => ForRun(run.Status, run.ExitCode);
}
