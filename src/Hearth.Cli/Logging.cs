using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli;

/// <summary>Logs go to stderr, one line each; stdout is for data.</summary>
public static class Logging
{
    /// <param name="format">auto (text on a terminal, JSON lines otherwise), json or text.</param>
    public static ILoggerFactory Create(LogLevel level, string format = "text") =>
        LoggerFactory.Create(builder => Hearth.Server.Telemetry.LogFormat.Configure(builder, format, level));
}
