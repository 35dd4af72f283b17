namespace Hearth.Server.Configuration;

/// <summary>/metrics, traces and logs (config keys <c>metrics.*</c>, <c>tracing.*</c>, <c>log.*</c>).</summary>
public sealed record TelemetryOptions
{
    /// <summary>Whether /metrics is served at all.</summary>
    public bool MetricsEnabled { get; init; } = true;

    /// <summary>
    /// host:port of a listener of its own for /metrics (then the API port has none); null: the API port.
    /// </summary>
    public string? MetricsListen { get; init; }

    /// <summary>A bearer token /metrics asks for (<c>Authorization: Bearer TOKEN</c>); null: none asked.</summary>
    public string? MetricsToken { get; init; }

    /// <summary>Where spans go (OTLP); null: tracing is off.</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>grpc or http/protobuf.</summary>
    public string OtlpProtocol { get; init; } = "http/protobuf";

    /// <summary>The service name spans carry.</summary>
    public string ServiceName { get; init; } = "hearth-server";

    /// <summary>auto (text on a terminal, JSON lines otherwise), json or text.</summary>
    public string LogFormat { get; init; } = "auto";

    /// <summary>null: what the caller of the server asks for (information by default).</summary>
    public LogLevel? LogLevel { get; init; }
}
