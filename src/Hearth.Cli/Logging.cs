using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Hearth.Cli;

/// <summary>Logs go to stderr, one line each; stdout is for data.</summary>
public static class Logging
{
    public static ILoggerFactory Create(LogLevel level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        builder.AddFilter("Microsoft", LogLevel.Warning);
        builder.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
