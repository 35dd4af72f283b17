using System.CommandLine;
using Hearth.Cli.Client;
using Hearth.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Hearth.Cli.Commands;

/// <summary>The agent's metrics listener, tracing and log options, each with its HEARTH_* variable.</summary>
public sealed class AgentTelemetryOptions
{
    private readonly Option<string?> _metricsListen = new("--metrics-listen")
    {
        Description = "host:port for the agent's /metrics (or HEARTH_AGENT_METRICS_LISTEN; default: no listener)",
    };
    private readonly Option<string?> _metricsTokenFile = new("--metrics-token-file")
    {
        Description = "File holding a bearer token /metrics asks for (or HEARTH_AGENT_METRICS_TOKEN)",
    };
    private readonly Option<string?> _otlp = new("--otlp-endpoint")
    {
        Description =
            "OTLP/HTTP endpoint for traces, e.g. http://127.0.0.1:4318 (or HEARTH_TRACING_OTLP_ENDPOINT; default: off)",
    };
    private readonly Option<string?> _logFormat = new("--log-format")
    {
        Description = "auto (text on a terminal, JSON lines otherwise), json or text (or HEARTH_LOG_FORMAT)",
    };
    private readonly Option<string?> _logLevel = new("--log-level")
    {
        Description = "trace, debug, information, warning or error (or HEARTH_LOG_LEVEL; default: information)",
    };

    public static AgentTelemetryOptions Create() => new();

    public void AddTo(Command command)
    {
        command.Options.Add(_metricsListen);
        command.Options.Add(_metricsTokenFile);
        command.Options.Add(_otlp);
        command.Options.Add(_logFormat);
        command.Options.Add(_logLevel);
    }

    public (string? MetricsListen, string? MetricsToken, Uri? Otlp, string LogFormat, LogLevel LogLevel) Read(
        ParseResult result
    )
    {
        var listen = result.GetValue(_metricsListen) ?? Env("HEARTH_AGENT_METRICS_LISTEN");
        if (listen is not null)
        {
            var colon = listen.LastIndexOf(':');
            if (
                colon <= 0
                || !int.TryParse(listen.AsSpan(colon + 1), out var port)
                || port is < 0 or > 65535
                || !(
                    listen[..colon] is "localhost"
                    || System.Net.IPAddress.TryParse(listen[..colon].Trim('[', ']'), out _)
                )
            )
                throw new CliException(
                    $"--metrics-listen '{listen}': expected host:port with an IP address, e.g. 127.0.0.1:9464",
                    2
                );
        }
        string? token = null;
        if (result.GetValue(_metricsTokenFile) is { } file)
        {
            if (!File.Exists(file))
                throw new CliException($"--metrics-token-file '{file}': no such file", 2);
            token = File.ReadAllText(file).Trim();
        }
        else
            token = Env("HEARTH_AGENT_METRICS_TOKEN")?.Trim();
        if (token is { Length: < 16 })
            throw new CliException("metrics token: expected at least 16 characters", 2);
        Uri? otlp = null;
        if (
            (result.GetValue(_otlp) ?? Env("HEARTH_TRACING_OTLP_ENDPOINT")) is { } endpoint
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https"))
        )
            throw new CliException(
                $"--otlp-endpoint '{endpoint}': expected an http(s) URL such as http://127.0.0.1:4318",
                2
            );
        var format = result.GetValue(_logFormat) ?? Env("HEARTH_LOG_FORMAT") ?? "auto";
        if (!Server.Telemetry.LogFormat.Names.Contains(format))
            throw new CliException($"--log-format '{format}': expected auto, json or text", 2);
        var levelText = result.GetValue(_logLevel) ?? Env("HEARTH_LOG_LEVEL") ?? "information";
        LogLevel level;
        try
        {
            level = ServerConfigLoader.Level(levelText, "--log-level");
        }
        catch (ConfigException e)
        {
            throw new CliException(e.Message, 2);
        }
        return (listen, token, otlp, format, level);
    }

    private static string? Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
