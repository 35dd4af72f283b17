using System.Text.Json;
using Microsoft.Extensions.Logging.Console;

namespace Hearth.Server.Telemetry;

/// <summary>
/// How the server and the agent log, to stderr: JSON lines (one object per line, with its scopes: request id, run id,
/// task id, and the trace and span ids while tracing), or one line of text when stderr is a terminal (<c>auto</c>).
/// </summary>
public static class LogFormat
{
    public static readonly string[] Names = ["auto", "json", "text"];

    public static bool IsJson(string format) =>
        format switch
        {
            "json" => true,
            "text" => false,
            _ => Console.IsErrorRedirected,
        };

    public static void Configure(ILoggingBuilder builder, string format, LogLevel level)
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(level);
        builder.AddFilter("Microsoft", LogLevel.Warning);
        builder.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Configure(o =>
            o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId
        );
        if (IsJson(format))
        {
            builder.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new JsonWriterOptions
                {
                    Indented = false,
                    Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                };
            });
        }
        else
        {
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.IncludeScopes = true;
            });
        }
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    }
}
