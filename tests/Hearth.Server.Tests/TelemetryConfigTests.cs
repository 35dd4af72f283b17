using Hearth.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Hearth.Server.Tests;

/// <summary>
/// The metrics, tracing and log keys: read from the file and HEARTH_* variables, bad values refused with file, line and
/// key.
/// </summary>
public sealed class TelemetryConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-telemetry-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, $"server-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public void Every_telemetry_key_is_read_from_the_file_and_variables_win()
    {
        var tokenFile = Path.Combine(_dir, "metrics-token");
        File.WriteAllText(tokenFile, "from-a-file-0123456789\n");
        var file = Write(
            $"""
            metrics:
              listen: 127.0.0.1:9464
              token_file: {tokenFile}
            tracing:
              otlp_endpoint: http://127.0.0.1:4318
              otlp_protocol: grpc
              service_name: hearth-eu
            log:
              format: json
              level: debug
            """
        );
        var options = ServerConfigLoader
            .Load(file, new Dictionary<string, string?> { ["HEARTH_LOG_LEVEL"] = "warning" })
            .Telemetry;
        Assert.Equal(
            (
                "127.0.0.1:9464",
                "from-a-file-0123456789",
                "http://127.0.0.1:4318/",
                "grpc",
                "hearth-eu",
                "json",
                LogLevel.Warning
            ),
            (
                options.MetricsListen,
                options.MetricsToken,
                options.OtlpEndpoint?.ToString(),
                options.OtlpProtocol,
                options.ServiceName,
                options.LogFormat,
                options.LogLevel
            )
        );
        Assert.True(options.MetricsEnabled);
        Assert.False(
            ServerConfigLoader
                .Load(null, new Dictionary<string, string?> { ["HEARTH_METRICS_ENABLED"] = "false" })
                .Telemetry.MetricsEnabled
        );
    }

    [Fact]
    public void Defaults_serve_metrics_on_the_api_port_trace_nothing_and_pick_the_log_format_by_terminal()
    {
        var options = ServerConfigLoader.Load(null, new Dictionary<string, string?>()).Telemetry;
        Assert.Equal(
            (true, (string?)null, (string?)null, (Uri?)null, "auto", (LogLevel?)null),
            (
                options.MetricsEnabled,
                options.MetricsListen,
                options.MetricsToken,
                options.OtlpEndpoint,
                options.LogFormat,
                options.LogLevel
            )
        );
    }

    [Theory]
    [InlineData("log:\n  format: xml\n", "2:3: log.format: expected 'auto', 'json' or 'text', got 'xml'")]
    [InlineData(
        "log:\n  level: loud\n",
        "2:3: log.level: expected trace, debug, information, warning, error or critical, got 'loud'"
    )]
    [InlineData("tracing:\n  otlp_endpoint: collector:4318\n", "2:3: tracing.otlp_endpoint: expected an http(s) URL")]
    [InlineData(
        "tracing:\n  otlp_protocol: thrift\n",
        "2:3: tracing.otlp_protocol: expected 'grpc' or 'http/protobuf', got 'thrift'"
    )]
    [InlineData("metrics:\n  token: short\n", "2:3: metrics.token: expected a token of at least 16 characters")]
    [InlineData("metrics:\n  enabled: maybe\n", "2:3: metrics.enabled: expected true or false, got 'maybe'")]
    [InlineData("metrics:\n  listen: 9464\n", "2:3: metrics.listen: '9464' is not host:port")]
    public void Bad_values_are_refused_naming_the_file_line_and_key(string yaml, string expected)
    {
        var file = Write(yaml);
        var error = Assert.Throws<ConfigException>(() =>
            ServerConfigLoader.Load(file, new Dictionary<string, string?>())
        );
        Assert.StartsWith($"{file}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_metrics_listener_needs_a_port_of_its_own()
    {
        var same = Write("listen: 127.0.0.1:7070\nmetrics:\n  listen: 127.0.0.1:7070\n");
        Assert.Contains(
            "must differ from listen",
            Assert
                .Throws<ConfigException>(() => ServerConfigLoader.Load(same, new Dictionary<string, string?>()))
                .Message
        );
        var zero = Write("metrics:\n  listen: 127.0.0.1:0\n");
        Assert.Contains(
            "needs a port of its own",
            Assert
                .Throws<ConfigException>(() => ServerConfigLoader.Load(zero, new Dictionary<string, string?>()))
                .Message
        );
    }
}
