using System.Net.Http.Json;
using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Logs;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Two servers on one PostgreSQL database. A workflow step is leased through server 0, which is then killed; the step's
/// lines reach server 1 unmasked (the harness plays the agent over the real protocol, as an agent that does not mask
/// would send them) after the secret was changed: server 1 masks them with the value the task was given.
/// </summary>
public sealed class TaskMaskTests
{
    [Fact]
    public async Task A_steps_secret_stays_masked_when_its_lines_are_read_through_a_second_server_after_the_first_is_killed()
    {
        await using var cluster = await HearthCluster.StartAsync(store: StoreKind.Postgres);
        await cluster.AddServerAsync();
        var value = "e2e-step-" + Guid.NewGuid().ToString("N");
        var created = await CliProcess.RunAsync(
            ["secrets", "create", "step-token", "--from-env", "V", "--env-name", "TOKEN"],
            new Dictionary<string, string>(cluster.ClientEnvFor(0)) { ["V"] = value }
        );
        Assert.True(created.ExitCode == 0, created.Stderr);
        var file = Path.Combine(cluster.DataDir, "masked.kdl");
        await File.WriteAllTextAsync(
            file,
            """
            version "0.1"
            triggers "manual"
            chain {
                machine "build"
                fragment {
                    run "echo $TOKEN"
                    secrets "step-token"
                }
            }
            """
        );
        var started = await cluster.CliOnAsync(0, "workflow", "run", "-d", file);
        Assert.True(started.ExitCode == 0, started.Stderr);
        var runId = started.Stdout.Trim();

        using var toFirst = Agent(cluster.Servers[0].Url, cluster.AgentToken);
        var registered = (
            await (
                await toFirst.PostAsJsonAsync(
                    "api/v1/agent/register",
                    new RegisterAgentBody("played", new() { ["machine"] = "build" }, 1, "e2e"),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<RegisterAgentView>(HearthJson.Options)
        )!;
        var lease = (
            await (
                await toFirst.PostAsJsonAsync(
                    "api/v1/agent/lease",
                    new LeaseRequest(registered.AgentId, 1, 10),
                    HearthJson.Options
                )
            ).Content.ReadFromJsonAsync<LeaseAnswer>(HearthJson.Options)
        )!.Assignments.Single();
        Assert.Equal(value, lease.SecretEnv["TOKEN"]);

        await cluster.KillServerAsync(0);
        var changed = await CliProcess.RunAsync(
            ["secrets", "update", "step-token", "--from-env", "V"],
            new Dictionary<string, string>(cluster.ClientEnvFor(1))
            {
                ["V"] = "e2e-changed-" + Guid.NewGuid().ToString("N"),
            }
        );
        Assert.True(changed.ExitCode == 0, changed.Stderr);

        using var toSecond = Agent(cluster.Servers[1].Url, cluster.AgentToken);
        var lines = new List<AgentLogLine>
        {
            new(DateTimeOffset.UtcNow, LogStream.Stdout, value),
            new(DateTimeOffset.UtcNow, LogStream.Stdout, $"again: {value}."),
        };
        var completed = await toSecond.PostAsJsonAsync(
            $"api/v1/agent/tasks/{lease.TaskId}/complete",
            new CompleteBody(lease.Epoch, 0, false, null, DateTimeOffset.UtcNow, 0, lines),
            HearthJson.Options
        );
        Assert.True(completed.IsSuccessStatusCode, await completed.Content.ReadAsStringAsync());

        var logs = await cluster.CliOnAsync(1, "logs", runId);
        Assert.True(logs.ExitCode == 0, logs.Stderr);
        Assert.Equal("[0] ***\n[0] again: ***.\n", logs.Stdout);
        Assert.DoesNotContain(value, logs.Stdout + logs.Stderr);
    }

    private static HttpClient Agent(string url, string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(url.TrimEnd('/') + "/") };
        client.DefaultRequestHeaders.Add("X-API-Key", token);
        client.DefaultRequestHeaders.Add(
            AgentProtocolVersion.Header,
            AgentProtocolVersion.Current.ToString(System.Globalization.CultureInfo.InvariantCulture)
        );
        return client;
    }
}
