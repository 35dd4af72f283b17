using System.Net;
using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Telemetry;

namespace Hearth.Agent.Tests.Telemetry;

/// <summary>The server's and the agent's /metrics after real runs through a real agent and real sandboxes.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Runs_through_a_real_agent_move_the_server_and_agent_counters_by_exactly_what_happened()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var http = new HttpClient();
        var serverMetrics = new Uri(harness.Server.Url, "/metrics");
        var before = await PrometheusText.ScrapeAsync(http, serverMetrics);
        var (agent, _) = harness.StartAgentHost(harness.Options() with { MetricsListen = "127.0.0.1:0" });
        var agentMetrics = await agent.MetricsUrl.WaitAsync(AgentHarness.Timeout)
            ?? throw new InvalidOperationException("no metrics listener");

        // Output of known size: 4 + 6 + 1 bytes in three lines.
        string[] commands = ["echo aaaa", "echo bbbbbb", "echo x; exit 3"];
        var runs = new List<RunView>();
        foreach (var command in commands)
            runs.Add(
                await harness.WaitEndedAsync(
                    (
                        await harness.CreateRunAsync(
                            new CreateRunBody { Command = ["sh", "-c", command], Driver = "bubblewrap" }
                        )
                    ).Id
                )
            );
        Assert.Equal([RunState.Succeeded, RunState.Succeeded, RunState.Failed], runs.Select(r => r.Status));

        var after = await PrometheusText.ScrapeAsync(http, serverMetrics);
        double Delta(string name, params (string, string)[] labels) =>
            after.Value(name, labels) - before.Value(name, labels);
        Assert.Equal(3, Delta("hearth_runs_created_total", ("kind", "command")));
        Assert.Equal(2, Delta("hearth_runs_total", ("kind", "command"), ("state", "succeeded")));
        Assert.Equal(1, Delta("hearth_runs_total", ("kind", "command"), ("state", "failed")));
        Assert.Equal(2, Delta("hearth_tasks_total", ("kind", "command"), ("state", "succeeded")));
        Assert.Equal(1, Delta("hearth_tasks_total", ("kind", "command"), ("state", "failed")));
        Assert.Equal(3, Delta("hearth_leases_granted_total"));
        Assert.Equal(3, Delta("hearth_tasks_completed_total"));
        Assert.Equal(0, Delta("hearth_task_retries_total"));
        Assert.Equal(3, Delta("hearth_log_lines_total"));
        Assert.Equal(11, Delta("hearth_log_bytes_total"));
        Assert.Equal(0, after.Value("hearth_queue_depth"));
        Assert.Equal(1, after.Value("hearth_agents", ("status", "online")));
        Assert.Equal(0, after.Value("hearth_tasks_active"));

        // The histograms take what ended up to a second before the scrape: the next scrapes see all three, once.
        await AgentHarness.UntilAsync(
            async () =>
                (await PrometheusText.ScrapeAsync(http, serverMetrics)).Value(
                    "hearth_run_duration_seconds_count",
                    ("kind", "command")
                ) == 3,
            "three run durations recorded"
        );
        await Task.Delay(StoreSampler.Settle * 2);
        var settled = await PrometheusText.ScrapeAsync(http, serverMetrics);
        Assert.Equal(
            2,
            settled.Value("hearth_run_duration_seconds_count", ("kind", "command"), ("state", "succeeded"))
        );
        Assert.Equal(1, settled.Value("hearth_run_duration_seconds_count", ("kind", "command"), ("state", "failed")));
        foreach (var phase in (string[])["queued", "leased", "sandbox_start", "first_output", "exit_report"])
            Assert.Equal(
                3,
                settled.Value("hearth_startup_phase_seconds_count", ("phase", phase), ("driver", "bubblewrap"))
            );

        var agentText = await PrometheusText.ScrapeAsync(http, agentMetrics);
        Assert.Equal(3, agentText.Value("hearth_sandbox_start_seconds_count", ("driver", "bubblewrap")));
        Assert.Equal(2, agentText.Value("hearth_agent_tasks_total", ("driver", "bubblewrap"), ("result", "ok")));
        Assert.Equal(1, agentText.Value("hearth_agent_tasks_total", ("driver", "bubblewrap"), ("result", "failed")));
        Assert.Equal(0, agentText.Value("hearth_agent_sandboxes_active", ("driver", "bubblewrap")));
        Assert.Equal(0, agentText.Value("hearth_sandbox_start_failures_total"));
        // The agent's listener serves nothing else.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(agentMetrics, "/api/v1/runs"))).StatusCode);
    }

    [Fact]
    public async Task Work_no_agent_can_take_shows_in_the_queue_with_no_matching_agent_and_running_work_by_driver()
    {
        await using var harness = await AgentHarness.StartAsync();
        using var http = new HttpClient();
        var metrics = new Uri(harness.Server.Url, "/metrics");
        harness.StartAgent();
        var stuck = await harness.CreateRunAsync(
            new CreateRunBody
            {
                Command = ["true"],
                Requirements = new Dictionary<string, string> { ["pool"] = "gpu" },
            }
        );
        var running = await harness.CreateRunAsync(
            new CreateRunBody { Command = ["sh", "-c", "echo up; sleep 30"], Driver = "bubblewrap" }
        );
        await AgentHarness.UntilAsync(
            async () => (await harness.GetRunAsync(running.Id)).Status == RunState.Running,
            "the sleeper to run"
        );

        var text = await PrometheusText.ScrapeAsync(http, metrics);
        Assert.Equal(1, text.Value("hearth_queue_depth", ("requirements", "pool=gpu")));
        Assert.Equal(0, text.Value("hearth_queue_matching_agents", ("requirements", "pool=gpu")));
        Assert.Equal(1, text.Value("hearth_tasks_active", ("driver", "bubblewrap")));

        foreach (var id in (string[])[stuck.Id, running.Id])
            await harness.Admin.PostAsync($"api/v1/runs/{id}/kill", null);
        await harness.WaitEndedAsync(running.Id);
        await harness.WaitEndedAsync(stuck.Id);
        var after = await PrometheusText.ScrapeAsync(http, metrics);
        Assert.Equal(0, after.Value("hearth_queue_depth"));
        Assert.Equal(2, after.Value("hearth_runs_total", ("kind", "command"), ("state", "stopped")));
    }

    [Fact]
    public async Task The_agents_metrics_ask_for_its_token_when_it_has_one()
    {
        await using var harness = await AgentHarness.StartAsync();
        const string token = "agent-metrics-token-0123456789";
        var (agent, _) = harness.StartAgentHost(
            harness.Options() with
            {
                MetricsListen = "127.0.0.1:0",
                MetricsToken = token,
            }
        );
        var url = (await agent.MetricsUrl.WaitAsync(AgentHarness.Timeout))!;
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(url)).StatusCode);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, url)
        {
            Headers = { { "Authorization", "Bearer not-the-token-at-all" } },
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, url)
        {
            Headers = { { "Authorization", $"Bearer {token}" } },
        };
        var answered = await http.SendAsync(right);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        _ = new PrometheusText(await answered.Content.ReadAsStringAsync());
    }
}
