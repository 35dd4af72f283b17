namespace Hearth.Agent.Telemetry;

/// <summary>Label values as Prometheus writes them: NetworkNamespace → network_namespace.</summary>
public static class AgentMetricNames
{
    public static string Snake(string name) =>
        string.Concat(
            name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString())
        );
}
