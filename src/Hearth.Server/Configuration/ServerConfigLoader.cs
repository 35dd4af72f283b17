using Hearth.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hearth.Server.Configuration;

/// <summary>
/// Reads server options from a YAML file, then HEARTH_* environment variables (which win), key by key.
/// Unknown keys, wrong types and bad values are refused with the file, line and key named.
/// </summary>
public static class ServerConfigLoader
{
    private delegate ServerOptions Apply(ServerOptions options, string value, string where);

    private static readonly Dictionary<string, Apply> Keys = new(StringComparer.Ordinal)
    {
        ["listen"] = (o, v, w) => o with { Listen = ValidateListen(v, w) },
        ["data_dir"] = (o, v, _) => o with { DataDir = v },
        ["store.driver"] = (o, v, w) =>
            o with
            {
                StoreDriver = v is "sqlite" or "postgres"
                    ? v
                    : throw new ConfigException($"{w}: expected 'sqlite' or 'postgres', got '{v}'"),
            },
        ["store.path"] = (o, v, _) => o with { StorePath = v },
        ["store.connection_string"] = (o, v, _) => o with { StoreConnectionString = v },
        ["leases.ttl"] = (o, v, w) => o with { LeaseTtl = Duration(v, w) },
        ["leases.heartbeat"] = (o, v, w) => o with { HeartbeatInterval = Duration(v, w) },
        ["leases.long_poll"] = (o, v, w) => o with { LongPoll = Duration(v, w) },
        ["leases.rescue_interval"] = (o, v, w) => o with { RescueInterval = Duration(v, w) },
        ["placement.unplaceable_timeout"] = (o, v, w) => o with { UnplaceableTimeout = Duration(v, w) },
        ["gitlab.max_cpus"] = (o, v, w) => o with { GitLab = o.GitLab with { MaxCpus = (int)Positive(v, w) } },
        ["gitlab.max_memory_bytes"] = (o, v, w) =>
            o with
            {
                GitLab = o.GitLab with { MaxMemoryBytes = Positive(v, w) },
            },
        ["gitlab.poll_interval"] = (o, v, w) => o with { GitLab = o.GitLab with { PollInterval = Duration(v, w) } },
        ["gitlab.trace_interval"] = (o, v, w) => o with { GitLab = o.GitLab with { TraceInterval = Duration(v, w) } },
        ["gitlab.webhook_token"] = (o, v, _) => o with { GitLab = o.GitLab with { WebhookToken = v } },
        ["gitlab.after_script_timeout"] = (o, v, w) =>
            o with
            {
                GitLab = o.GitLab with { AfterScriptTimeout = Duration(v, w) },
            },
        ["retries.lost_agent_attempts"] = (o, v, w) => o with { LostAgentAttempts = Attempts(v, w) },
        ["drivers.admin"] = (o, v, w) => o with { Drivers = o.Drivers.With("admin", DriverList(v, w)) },
        ["drivers.operator"] = (o, v, w) => o with { Drivers = o.Drivers.With("operator", DriverList(v, w)) },
        ["drivers.developer"] = (o, v, w) => o with { Drivers = o.Drivers.With("developer", DriverList(v, w)) },
        ["secrets.key_file"] = (o, v, _) => o with { Access = o.Access with { SecretsKeyFile = v } },
        ["secrets.key"] = (o, v, _) => o with { Access = o.Access with { SecretsKey = v } },
        ["secrets.old_key_files"] = (o, v, _) => o with { Access = o.Access with { SecretsOldKeyFiles = List(v) } },
        ["tls.cert_file"] = (o, v, _) => o with { Access = o.Access with { TlsCertFile = v } },
        ["tls.key_file"] = (o, v, _) => o with { Access = o.Access with { TlsKeyFile = v } },
        ["cors.allowed_origins"] = (o, v, _) => o with { Access = o.Access with { CorsAllowedOrigins = List(v) } },
        ["limits.requests_per_minute_per_key"] = (o, v, w) =>
            o with
            {
                Access = o.Access with { RequestsPerMinutePerKey = (int)Positive(v, w) },
            },
        ["limits.requests_per_minute_per_ip"] = (o, v, w) =>
            o with
            {
                Access = o.Access with { RequestsPerMinutePerIp = (int)Positive(v, w) },
            },
        ["limits.auth_failures_per_minute"] = (o, v, w) =>
            o with
            {
                Access = o.Access with { AuthFailuresPerMinute = (int)Positive(v, w) },
            },
        ["limits.auth_failures_per_minute_total"] = (o, v, w) =>
            o with
            {
                Access = o.Access with { AuthFailuresPerMinuteTotal = (int)Positive(v, w) },
            },
        ["limits.max_body_bytes"] = (o, v, w) => o with { Access = o.Access with { MaxBodyBytes = Positive(v, w) } },
        ["limits.max_run_body_bytes"] = (o, v, w) =>
            o with
            {
                Access = o.Access with { MaxRunBodyBytes = Positive(v, w) },
            },
        ["limits.max_webhook_body_bytes"] = (o, v, w) =>
            o with
            {
                Access = o.Access with { MaxWebhookBodyBytes = Positive(v, w) },
            },
        ["metrics.enabled"] = (o, v, w) => o with { Telemetry = o.Telemetry with { MetricsEnabled = Bool(v, w) } },
        ["metrics.listen"] = (o, v, w) =>
            o with
            {
                Telemetry = o.Telemetry with { MetricsListen = ValidateListen(v, w) },
            },
        ["metrics.token"] = (o, v, w) => o with { Telemetry = o.Telemetry with { MetricsToken = Token(v, w) } },
        ["metrics.token_file"] = (o, v, w) =>
            o with
            {
                Telemetry = o.Telemetry with { MetricsToken = TokenFile(v, w) },
            },
        ["tracing.otlp_endpoint"] = (o, v, w) =>
            o with
            {
                Telemetry = o.Telemetry with { OtlpEndpoint = HttpUrl(v, w) },
            },
        ["tracing.otlp_protocol"] = (o, v, w) =>
            o with
            {
                Telemetry = o.Telemetry with
                {
                    OtlpProtocol = v is "grpc" or "http/protobuf"
                        ? v
                        : throw new ConfigException($"{w}: expected 'grpc' or 'http/protobuf', got '{v}'"),
                },
            },
        ["tracing.service_name"] = (o, v, _) => o with { Telemetry = o.Telemetry with { ServiceName = v } },
        ["log.format"] = (o, v, w) =>
            o with
            {
                Telemetry = o.Telemetry with
                {
                    LogFormat = v is "auto" or "json" or "text"
                        ? v
                        : throw new ConfigException($"{w}: expected 'auto', 'json' or 'text', got '{v}'"),
                },
            },
        ["log.level"] = (o, v, w) => o with { Telemetry = o.Telemetry with { LogLevel = Level(v, w) } },
    };

    public static IReadOnlyCollection<string> KnownKeys => Keys.Keys;

    public static ServerOptions Load(string? file, IReadOnlyDictionary<string, string?> environment)
    {
        var options = new ServerOptions();
        if (file is not null)
            options = ApplyFile(options, file);
        foreach (var key in Keys.Keys)
        {
            var name = EnvName(key);
            if (environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value))
                options = Keys[key](options, value, $"environment variable {name}");
        }
        return Validate(options, file);
    }

    public static string EnvName(string key) => "HEARTH_" + key.Replace('.', '_').ToUpperInvariant();

    private static ServerOptions ApplyFile(ServerOptions options, string file)
    {
        if (!File.Exists(file))
            throw new ConfigException($"{file}: no such config file");
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            yaml.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException(
                $"{file}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.InnerException?.Message ?? e.Message}"
            );
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return options;
        if (yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException(
                $"{file}:{yaml.Documents[0].RootNode.Start.Line}: expected a mapping of settings at the top level"
            );
        return Walk(options, file, root, "");
    }

    private static ServerOptions Walk(ServerOptions options, string file, YamlMappingNode node, string prefix)
    {
        foreach (var (keyNode, valueNode) in node.Children)
        {
            var key = prefix + ((YamlScalarNode)keyNode).Value;
            var where = $"{file}:{keyNode.Start.Line}:{keyNode.Start.Column}: {key}";
            if (valueNode is YamlMappingNode child)
            {
                if (!Keys.Keys.Any(k => k.StartsWith(key + ".", StringComparison.Ordinal)))
                    throw new ConfigException($"{where}: unknown setting (known: {string.Join(", ", Keys.Keys)})");
                options = Walk(options, file, child, key + ".");
                continue;
            }
            if (!Keys.TryGetValue(key, out var apply))
                throw new ConfigException($"{where}: unknown setting (known: {string.Join(", ", Keys.Keys)})");
            // A list may be written as a YAML sequence of scalars or as one comma-separated value.
            if (
                valueNode is YamlSequenceNode sequence
                && sequence.Children.All(c => c is YamlScalarNode { Value: not null })
            )
            {
                options = apply(
                    options,
                    string.Join(",", sequence.Children.Cast<YamlScalarNode>().Select(c => c.Value)),
                    where
                );
                continue;
            }
            if (valueNode is not YamlScalarNode { Value: { } value })
                throw new ConfigException($"{where}: expected a single value");
            options = apply(options, value, where);
        }
        return options;
    }

    private static ServerOptions Validate(ServerOptions options, string? file)
    {
        var where = file ?? "configuration";
        if (options.HeartbeatInterval >= options.LeaseTtl)
            throw new ConfigException(
                $"{where}: leases.heartbeat ({Durations.Format(options.HeartbeatInterval)}) must be shorter than leases.ttl ({Durations.Format(options.LeaseTtl)})"
            );
        if ((options.Access.TlsCertFile is null) != (options.Access.TlsKeyFile is null))
            throw new ConfigException($"{where}: tls.cert_file and tls.key_file go together (PEM files)");
        if (options.Telemetry.MetricsListen is { } metricsListen && metricsListen == options.Listen)
            throw new ConfigException(
                $"{where}: metrics.listen ({metricsListen}) must differ from listen: it is the metrics' own listener"
            );
        if (options.Telemetry.MetricsListen is { } own && own.EndsWith(":0", StringComparison.Ordinal))
            throw new ConfigException($"{where}: metrics.listen ({own}) needs a port of its own, not 0");
        if (options.StoreDriver == "postgres" && string.IsNullOrEmpty(options.StoreConnectionString))
            throw new ConfigException($"{where}: store.driver is postgres but store.connection_string is not set");
        return options;
    }

    private static bool Bool(string value, string where) =>
        value switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => throw new ConfigException($"{where}: expected true or false, got '{value}'"),
        };

    private static string Token(string value, string where) =>
        value.Trim().Length >= 16
            ? value.Trim()
            : throw new ConfigException($"{where}: expected a token of at least 16 characters");

    private static string TokenFile(string value, string where)
    {
        if (!File.Exists(value))
            throw new ConfigException($"{where}: no such file '{value}'");
        return Token(File.ReadAllText(value), $"{where} ({value})");
    }

    private static Uri HttpUrl(string value, string where) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ConfigException(
                $"{where}: expected an http(s) URL such as http://127.0.0.1:4318, got '{value}'"
            );

    /// <summary>
    /// Log levels by the names operators write: trace, debug, information (info), warning (warn), error, critical.
    /// </summary>
    public static LogLevel Level(string value, string where) =>
        value.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" or "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            _ => throw new ConfigException(
                $"{where}: expected trace, debug, information, warning, error or critical, got '{value}'"
            ),
        };

    private static IReadOnlyList<string> List(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Driver names for drivers.ROLE; an empty value allows none.</summary>
    private static IReadOnlyList<string> DriverList(string value, string where)
    {
        var names = List(value);
        var known = new[] { DriverOptions.Process }.Concat(DriverOptions.Isolating).ToList();
        foreach (var name in names)
        {
            if (!known.Contains(name))
                throw new ConfigException(
                    $"{where}: '{name}' is not a driver (expected some of {string.Join(", ", known)})"
                );
        }
        return names;
    }

    private static int Attempts(string value, string where) =>
        int.TryParse(
            value,
            System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture,
            out var n
        ) && n is >= 1 and <= Core.Runs.RetryPolicy.AttemptsLimit
            ? n
            : throw new ConfigException(
                $"{where}: expected attempts in all, a whole number from 1 (never retried) to {Core.Runs.RetryPolicy.AttemptsLimit}; got '{value}'"
            );

    private static long Positive(string value, string where) =>
        long.TryParse(value, out var n) && n is > 0 and <= int.MaxValue
            ? n
            : throw new ConfigException($"{where}: '{value}' is not a positive whole number");

    private static TimeSpan Duration(string value, string where) =>
        Durations.TryParse(value, out var d) && d > TimeSpan.Zero
            ? d
            : throw new ConfigException(
                $"{where}: '{value}' is not a positive duration (expected e.g. 500ms, 20s, 1m)"
            );

    private static string ValidateListen(string value, string where)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
            throw new ConfigException($"{where}: '{value}' is not host:port (expected e.g. 127.0.0.1:7070)");
        return value;
    }
}
