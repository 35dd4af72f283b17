using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hearth.Cli;

/// <summary>
/// A client command's span, sent over OTLP when HEARTH_TRACING_OTLP_ENDPOINT is set: its calls to the server carry the
/// trace (W3C traceparent), so the server's spans and the agent's that run what it started share its trace id.
/// Server, agent and dev trace by their own settings.
/// </summary>
internal static class CliTracing
{
    public const string SourceName = "Hearth.Cli";

    private static readonly ActivitySource Source = new(SourceName);

    public static TracerProvider? Start(string[] args)
    {
        if (Environment.GetEnvironmentVariable("HEARTH_TRACING_OTLP_ENDPOINT") is not { Length: > 0 } text)
            return null;
        if (args.Length == 0 || args[0] is "server" or "agent" or "dev")
            return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            Console.Error.WriteLine(
                $"hearth: warning: HEARTH_TRACING_OTLP_ENDPOINT '{text}' is not an http(s) URL; not tracing"
            );
            return null;
        }
        var protocol = Environment.GetEnvironmentVariable("HEARTH_TRACING_OTLP_PROTOCOL") is "grpc"
            ? "grpc"
            : "http/protobuf";
        return Sdk.CreateTracerProviderBuilder()
            .ConfigureResource(r => r.AddService("hearth-cli"))
            .AddSource(SourceName)
            .AddHttpClientInstrumentation()
            .AddOtlpExporter(o => Server.Telemetry.ServerTelemetry.Configure(o, endpoint, protocol))
            .Build();
    }

    /// <summary>The command's span: "hearth run", "hearth logs", …</summary>
    public static Activity? StartCommand(string[] args) =>
        Source.StartActivity($"hearth {args[0]}", ActivityKind.Client);
}
