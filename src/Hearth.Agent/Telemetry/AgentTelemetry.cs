using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hearth.Agent.Telemetry;

/// <summary>
/// The agent's telemetry while it runs: its /metrics listener (only with <see cref="AgentOptions.MetricsListen"/>; the
/// agent otherwise opens no port) and its spans sent over OTLP (only with <see cref="AgentOptions.OtlpEndpoint"/>).
/// </summary>
public sealed class AgentTelemetry : IAsyncDisposable
{
    private readonly WebApplication? _listener;
    private readonly TracerProvider? _tracer;

    private AgentTelemetry(WebApplication? listener, TracerProvider? tracer)
    {
        _listener = listener;
        _tracer = tracer;
    }

    /// <summary>
    /// The bound metrics URL (the port is known only after start when 0 was asked for); null without a listener.
    /// </summary>
    public Uri? MetricsUrl =>
        _listener is null
            ? null
            : new Uri(
                new Uri(
                    _listener
                        .Services.GetRequiredService<IServer>()
                        .Features.Get<IServerAddressesFeature>()!
                        .Addresses.First()
                ),
                "/metrics"
            );

    public static async Task<AgentTelemetry> StartAsync(
        AgentOptions options,
        AgentMetrics metrics,
        CancellationToken ct
    )
    {
        var tracer = options.OtlpEndpoint is { } endpoint
            ? Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(r => r.AddService("hearth-agent", serviceInstanceId: options.Name))
                .AddSource(AgentActivities.SourceName)
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(o => ConfigureOtlp(o, endpoint, options.OtlpProtocol))
                .Build()
            : null;
        if (options.MetricsListen is not { } listen)
            return new AgentTelemetry(null, tracer);

        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] }
        );
        builder.Logging.ClearProviders();
        var colon = listen.LastIndexOf(':');
        var (host, port) = (
            listen[..colon].Trim('[', ']'),
            int.Parse(listen[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)
        );
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (host is "localhost")
                k.ListenLocalhost(port);
            else
                k.Listen(IPAddress.Parse(host), port);
        });
        builder
            .Services.AddOpenTelemetry()
            .WithMetrics(m =>
                m.AddMeter(AgentMetrics.MeterName)
                    .AddView(instrument =>
                        ReferenceEquals(instrument.Meter, metrics.Meter) ? null : MetricStreamConfiguration.Drop
                    )
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            );
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint(
            "/metrics",
            meterProvider: null,
            configureBranchedPipeline: branch =>
                branch.Use(
                    async (context, next) =>
                    {
                        if (!Authorized(context, options.MetricsToken))
                        {
                            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                            context.Response.Headers.WWWAuthenticate = "Bearer";
                            await context.Response.WriteAsync(
                                "metrics: a bearer token is required (--metrics-token-file)\n"
                            );
                            return;
                        }
                        await next(context);
                    }
                ),
            optionsName: null
        );
        app.MapFallback(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return context.Response.WriteAsync("the agent serves only /metrics\n");
        });
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            tracer?.Dispose();
            throw new AgentRefusedException($"cannot listen for metrics on {listen}: {e.Message}");
        }
        return new AgentTelemetry(app, tracer);
    }

    /// <summary>
    /// The OTLP exporter's endpoint as given: for http/protobuf the traces path is added to a bare base URL.
    /// </summary>
    public static void ConfigureOtlp(OtlpExporterOptions o, Uri endpoint, string protocol)
    {
        o.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        o.Endpoint =
            protocol == "grpc" || endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)
                ? endpoint
                : new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/traces");
    }

    private static bool Authorized(HttpContext context, string? token)
    {
        if (token is null)
            return true;
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return false;
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim())),
            SHA256.HashData(Encoding.UTF8.GetBytes(token))
        );
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
            await _listener.DisposeAsync();
        // Sends the spans still buffered.
        _tracer?.Dispose();
    }
}
