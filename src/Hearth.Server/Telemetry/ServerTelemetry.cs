using System.Security.Cryptography;
using System.Text;
using Hearth.Server.Configuration;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hearth.Server.Telemetry;

/// <summary>
/// OpenTelemetry for one server: its meter exported at /metrics (Prometheus' text format), and, when
/// <c>tracing.otlp_endpoint</c> is set, its spans (requests, Hearth's own, PostgreSQL's, outgoing HTTP) sent over OTLP.
/// </summary>
public static class ServerTelemetry
{
    public const string MetricsPath = "/metrics";

    public static void Add(IServiceCollection services, TelemetryOptions options, HearthMetrics metrics)
    {
        services.AddSingleton(metrics);
        services.AddSingleton<StoreSampler>();
        var otel = services.AddOpenTelemetry().ConfigureResource(r => r.AddService(options.ServiceName));
        if (options.MetricsEnabled)
        {
            otel.WithMetrics(m =>
                m.AddMeter(HearthMetrics.MeterName, Store.Locks.LockTimings.MeterName)
                    // Every server in a process makes a meter of this name: this one exports only its own. The lock
                    // timings' meter is one per process (the store's grants and releases, whichever server asked).
                    .AddView(instrument =>
                        ReferenceEquals(instrument.Meter, metrics.Meter)
                        || instrument.Meter.Name == Store.Locks.LockTimings.MeterName
                            ? null
                            : MetricStreamConfiguration.Drop
                    )
                    .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)
            );
        }
        if (options.OtlpEndpoint is { } endpoint)
        {
            otel.WithTracing(t =>
                t.AddSource(ServerActivities.SourceName)
                    .AddAspNetCoreInstrumentation(o =>
                        o.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath)
                    )
                    .AddHttpClientInstrumentation()
                    .AddNpgsql()
                    .AddOtlpExporter(o => Configure(o, endpoint, options.OtlpProtocol))
            );
        }
    }

    /// <summary>
    /// The OTLP exporter's endpoint as given: for http/protobuf the traces path is added to a bare base URL.
    /// </summary>
    public static void Configure(OtlpExporterOptions o, Uri endpoint, string protocol)
    {
        o.Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
        o.Endpoint =
            protocol == "grpc" || endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)
                ? endpoint
                : new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/traces");
    }

    /// <summary>
    /// /metrics: on its own listener when <c>metrics.listen</c> is set (the API port then has none), else on the API
    /// port; with <c>metrics.token</c>, only for <c>Authorization: Bearer TOKEN</c>. Each scrape reads the store first.
    /// </summary>
    public static void Map(WebApplication app, TelemetryOptions options)
    {
        if (!options.MetricsEnabled)
            return;
        int? port = options.MetricsListen is { } listen ? Port(listen) : null;
        app.MapPrometheusScrapingEndpoint(
            MetricsPath,
            meterProvider: null,
            configureBranchedPipeline: branch =>
            {
                branch.Use(
                    async (context, next) =>
                    {
                        if (port is not null && context.Connection.LocalPort != port)
                        {
                            await Api
                                .ApiResults.Error(
                                    StatusCodes.Status404NotFound,
                                    "NOT_FOUND",
                                    "/metrics is served on its own listener (metrics.listen)"
                                )
                                .ExecuteAsync(context);
                            return;
                        }
                        if (!Authorized(context, options.MetricsToken))
                        {
                            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                            context.Response.Headers.WWWAuthenticate = "Bearer";
                            await context.Response.WriteAsync("metrics: a bearer token is required (metrics.token)\n");
                            return;
                        }
                        await context
                            .RequestServices.GetRequiredService<StoreSampler>()
                            .RefreshAsync(context.RequestAborted);
                        await next(context);
                    }
                );
            },
            optionsName: null
        );
    }

    /// <summary>Binds the metrics listener (plain HTTP: meant for loopback or an internal network).</summary>
    public static void Listen(
        Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel,
        TelemetryOptions options
    )
    {
        if (!options.MetricsEnabled || options.MetricsListen is not { } listen)
            return;
        var host = listen[..listen.LastIndexOf(':')].Trim('[', ']');
        if (host is "localhost")
            kestrel.ListenLocalhost(Port(listen));
        else
            kestrel.Listen(System.Net.IPAddress.Parse(host), Port(listen));
    }

    /// <summary>
    /// First in the pipeline: the metrics listener serves /metrics and nothing else (no API, no auth on the way).
    /// </summary>
    public static void UseMetricsListener(WebApplication app, TelemetryOptions options)
    {
        if (!options.MetricsEnabled || options.MetricsListen is not { } listen)
            return;
        var port = Port(listen);
        app.Use(
            (context, next) =>
                context.Connection.LocalPort == port && !context.Request.Path.Equals(MetricsPath)
                    ? Api
                        .ApiResults.Error(
                            StatusCodes.Status404NotFound,
                            "NOT_FOUND",
                            "this listener serves only /metrics"
                        )
                        .ExecuteAsync(context)
                    : next(context)
        );
    }

    public static int Port(string listen) =>
        int.Parse(listen[(listen.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

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
}
