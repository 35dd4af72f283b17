using System.Diagnostics;
using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;

namespace Hearth.Agent.Tests.Telemetry;

/// <summary>Spans from a client's request through the server to the agent that runs the task share one trace.</summary>
public sealed class TraceTests
{
    [Fact]
    public async Task A_clients_trace_id_reaches_the_servers_spans_and_the_agents_task_and_sandbox_spans()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var harness = await AgentHarness.StartAsync(configure: o =>
            o with
            {
                Telemetry = o.Telemetry with { OtlpEndpoint = receiver.Url },
            }
        );
        harness.StartAgent(harness.Options() with { OtlpEndpoint = receiver.Url });

        // As the CLI sends it: its own span's W3C traceparent.
        var traceId = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/runs")
        {
            Content = JsonContent.Create(
                new CreateRunBody { Command = ["sh", "-c", "echo traced"], Driver = "bubblewrap" },
                options: HearthJson.Options
            ),
        };
        // In this process the HttpClient instrumentation (the agent's tracer listens here too) makes the request's
        // span, a child of the current one, and sends its traceparent: the client's span is made current, as the CLI
        // does.
        using var client = new Activity("hearth run")
            .SetParentId(traceId, clientSpan, ActivityTraceFlags.Recorded)
            .Start();
        var created = await (await harness.Admin.SendAsync(request)).Content.ReadFromJsonAsync<RunView>(
            HearthJson.Options
        );
        client.Stop();
        await harness.WaitEndedAsync(created!.Id);

        var expected = new[]
        {
            ("hearth-server", "run.create"),
            ("hearth-server", "task.lease"),
            ("hearth-server", "task.complete"),
            ("hearth-agent", "task.run"),
            ("hearth-agent", "sandbox.start"),
        };
        try
        {
            await AgentHarness.UntilAsync(
                () =>
                    Task.FromResult(
                        expected.All(e =>
                            receiver.Spans.Any(s =>
                                s.TraceId == traceId.ToHexString() && s.Service == e.Item1 && s.Name == e.Item2
                            )
                        )
                    ),
                "every span of the trace"
            );
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException(
                $"{e.Message}; trace {traceId} got: "
                    + string.Join(
                        "; ",
                        receiver.Spans.Select(s => $"{s.Service} {s.Name} {s.TraceId}/{s.SpanId}<-{s.ParentSpanId}")
                    ),
                e
            );
        }
        var trace = receiver.Spans.Where(s => s.TraceId == traceId.ToHexString()).ToList();
        // The server's request spans: the client's call, and the agent's calls made while it ran the task.
        Assert.Contains(trace, s => s.Service == "hearth-server" && s.Name == "POST /api/v1/runs/");
        Assert.Contains(trace, s => s.Service == "hearth-server" && s.Name == "POST /api/v1/agent/tasks/{id}/complete");
        var run = trace.Single(s => s.Name == "task.run");
        Assert.Equal(run.SpanId, trace.Single(s => s.Name == "sandbox.start").ParentSpanId);
    }
}
