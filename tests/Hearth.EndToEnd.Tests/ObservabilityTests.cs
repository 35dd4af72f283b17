using System.Text.Json;
using System.Text.RegularExpressions;
using Hearth.Agent.Tests.Telemetry;

namespace Hearth.EndToEnd.Tests;

/// <summary>Traces, logs and the agent's /metrics across real processes: the CLI, a server and an agent.</summary>
public sealed class ObservabilityTests
{
    [Fact]
    public async Task The_cli_the_server_and_the_agent_send_spans_of_one_trace_and_log_json_lines_naming_the_run()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var cluster = await HearthCluster.StartAsync(
            extraConfig: $"tracing:\n  otlp_endpoint: {receiver.Url}\n"
        );
        var agent = await cluster.StartAgentAsync(
            extraArgs: ["--otlp-endpoint", receiver.Url.ToString(), "--metrics-listen", "127.0.0.1:0"]
        );

        var env = new Dictionary<string, string>(cluster.ClientEnv)
        {
            ["HEARTH_TRACING_OTLP_ENDPOINT"] = receiver.Url.ToString(),
        };
        var run = await CliProcess.RunAsync(
            ["run", "--driver", "bubblewrap", "--", "sh", "-c", "echo traced; exit 3"],
            env
        );
        Assert.Equal(3, run.ExitCode);
        var runId = AdHocRunTests.RunId(run.Stderr);

        // The CLI's span is a root; the server's and the agent's spans carry its trace id.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        string? traceId = null;
        while (DateTime.UtcNow < deadline)
        {
            traceId = receiver.Spans.FirstOrDefault(s => s is { Service: "hearth-cli", Name: "hearth run" })?.TraceId;
            if (
                traceId is not null
                && new[]
                {
                    ("hearth-server", "run.create"),
                    ("hearth-agent", "task.run"),
                    ("hearth-agent", "sandbox.start"),
                }.All(e => receiver.Spans.Any(s => s.TraceId == traceId && s.Service == e.Item1 && s.Name == e.Item2))
            )
                break;
            await Task.Delay(100);
        }
        var trace = receiver.Spans.Where(s => s.TraceId == traceId).Select(s => $"{s.Service} {s.Name}").ToList();
        Assert.True(
            trace.Contains("hearth-server run.create")
                && trace.Contains("hearth-agent task.run")
                && trace.Contains("hearth-agent sandbox.start"),
            $"trace {traceId}: {string.Join("; ", trace)}"
        );

        // Its stderr is not a terminal: the agent logs JSON lines, and its line about the task names the run.
        var lines = agent
            .Stderr.Split('\n')
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();
        Assert.Contains(lines, l =>
            l.GetProperty("Message").GetString()!.Contains("registered as", StringComparison.Ordinal)
        );
        var exited = lines.Single(l =>
            l.GetProperty("Message").GetString()!.Contains("exited 3", StringComparison.Ordinal)
        );
        var scopes = exited
            .GetProperty("Scopes")
            .EnumerateArray()
            .Where(s => s.ValueKind == JsonValueKind.Object)
            .ToList();
        Assert.Contains(scopes, s => s.TryGetProperty("run_id", out var id) && id.GetString() == runId);
        Assert.Contains(scopes, s => s.TryGetProperty("TraceId", out var id) && id.GetString() == traceId);

        // The agent's /metrics counted the attempt.
        var metricsUrl = new Uri(Regex.Match(agent.Stderr, @"metrics at (http://[^\s""]+)").Groups[1].Value);
        using var http = new HttpClient();
        var metrics = await PrometheusText.ScrapeAsync(http, metricsUrl);
        Assert.Equal(1, metrics.Value("hearth_agent_tasks_total", ("driver", "bubblewrap"), ("result", "failed")));
        Assert.Equal(1, metrics.Value("hearth_sandbox_start_seconds_count", ("driver", "bubblewrap")));
    }
}
