using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// Retries by policy through the CLI and API: which failures are retried, attempts, back-off, validation.
/// </summary>
public abstract class RetryTests(ClusterFixture fixture)
{
    private HearthCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task A_command_failing_with_a_listed_exit_code_is_retried_until_it_succeeds()
    {
        var result = await Cluster.CliAsync(
            "run",
            "--retry",
            "3",
            "--retry-on",
            "exit:3",
            "--retry-delay",
            "200ms",
            "--",
            "sh",
            "-c",
            "echo attempt-$HEARTH_ATTEMPT; [ \"$HEARTH_ATTEMPT\" -ge 3 ] || exit 3"
        );
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("attempt-3", result.Stdout);
        var id = AdHocRunTests.RunId(result.Stderr);

        var run = await StatusAsync(id);
        Assert.Equal("SUCCEEDED", run.GetProperty("status").GetString());
        Assert.Equal(3, run.GetProperty("attempt").GetInt32());
        Assert.Equal(4, run.GetProperty("max_attempts").GetInt32());
        var history = run.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal([1, 2], history.Select(a => a.GetProperty("attempt").GetInt32()));
        Assert.All(history, a => Assert.Contains("3", a.GetProperty("reason").GetString()));
        // The second attempt waited out the delay after the first failed.
        Assert.True(
            history[1].GetProperty("ended_at").GetDateTimeOffset()
                - history[0].GetProperty("ended_at").GetDateTimeOffset()
                >= TimeSpan.FromMilliseconds(200)
        );

        var text = await Cluster.CliAsync("status", id);
        Assert.Contains("ATTEMPT    3 of 4", text.Stdout);
        Assert.Contains("ATTEMPTS   #1 on ", text.Stdout);
        Assert.Contains("ATTEMPTS   #2 on ", text.Stdout);
    }

    [Fact]
    public async Task An_exit_code_the_policy_does_not_list_is_not_retried()
    {
        var result = await Cluster.CliAsync(
            "run",
            "--retry",
            "3",
            "--retry-on",
            "exit:3",
            "--retry-delay",
            "200ms",
            "--",
            "sh",
            "-c",
            "echo attempt-$HEARTH_ATTEMPT; exit 4"
        );
        Assert.Equal(4, result.ExitCode);
        Assert.DoesNotContain("attempt-2", result.Stdout);
        var run = await StatusAsync(AdHocRunTests.RunId(result.Stderr));
        Assert.Equal("FAILED", run.GetProperty("status").GetString());
        Assert.Equal(1, run.GetProperty("attempt").GetInt32());
        Assert.Equal(4, run.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task A_retry_waiting_out_its_back_off_shows_when_it_may_start()
    {
        var submitted = await Cluster.CliAsync(
            "run",
            "-d",
            "--retry",
            "1",
            "--retry-on",
            "exit:5",
            "--retry-delay",
            "1m",
            "--",
            "sh",
            "-c",
            "exit 5"
        );
        Assert.Equal(0, submitted.ExitCode);
        var id = submitted.Stdout.Trim();
        try
        {
            var run = await WaitForAsync(id, r => r.GetProperty("attempt").GetInt32() == 2);
            Assert.Equal("STARTING", run.GetProperty("status").GetString());
            var notBefore = run.GetProperty("not_before").GetDateTimeOffset();
            Assert.InRange(notBefore - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(61));
            var text = await Cluster.CliAsync("status", id);
            Assert.Contains("ATTEMPT    2 of 2", text.Stdout);
            Assert.Contains($"NOT BEFORE {notBefore.UtcDateTime:u}", text.Stdout);
        }
        finally
        {
            Assert.Equal(0, (await Cluster.CliAsync("kill", id)).ExitCode);
        }
    }

    [Fact]
    public async Task A_bad_policy_is_refused_field_by_field()
    {
        var cli = await Cluster.CliAsync("run", "--retry", "2", "--retry-on", "exit:x", "--", "true");
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("--retry-on 'exit:x'", cli.Stderr);
        var without = await Cluster.CliAsync("run", "--retry-delay", "5s", "--", "true");
        Assert.Equal(2, without.ExitCode);
        Assert.Contains("need --retry N", without.Stderr);

        using var http = new HttpClient { BaseAddress = new Uri(Cluster.Url + "/") };
        http.DefaultRequestHeaders.Add("X-API-Key", Cluster.AdminKey);
        using var response = await http.PostAsJsonAsync(
            "api/v1/runs",
            new
            {
                command = new[] { "true" },
                retry = new
                {
                    max_attempts = 0,
                    exit_codes = new[] { 0 },
                    backoff = "linear",
                    delay_seconds = 10,
                    max_delay_seconds = 5,
                },
            }
        );
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await ErrorAsync(response);
        Assert.Contains("retry.exit_codes: 0 is not a failing exit code", error);
        Assert.Contains("retry.backoff: 'linear' is not constant, exponential or fibonacci", error);

        using var limits = await http.PostAsJsonAsync(
            "api/v1/runs",
            new
            {
                command = new[] { "true" },
                retry = new
                {
                    max_attempts = 0,
                    delay_seconds = 10,
                    max_delay_seconds = 5,
                },
            }
        );
        var limitErrors = await ErrorAsync(limits);
        Assert.Equal(HttpStatusCode.BadRequest, limits.StatusCode);
        Assert.Contains("retry.max_attempts: must be between 1 and 100", limitErrors);
        Assert.Contains("retry.max_delay_seconds: must be at least retry.delay_seconds", limitErrors);
    }

    /// <summary>The error's code, then its message.</summary>
    private static async Task<string> ErrorAsync(HttpResponseMessage response)
    {
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("INVALID_REQUEST", error.GetProperty("code").GetString());
        return error.GetProperty("error").GetString()!;
    }

    private async Task<JsonElement> StatusAsync(string id) =>
        JsonDocument.Parse((await Cluster.CliAsync("status", id, "-o", "json")).Stdout).RootElement;

    private async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var run = await StatusAsync(id);
            if (condition(run))
                return run;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"run {id} never got there: {run}");
            await Task.Delay(200);
        }
    }
}

public sealed class SqliteRetryTests(SqliteClusterFixture fixture)
    : RetryTests(fixture),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresRetryTests(PostgresClusterFixture fixture)
    : RetryTests(fixture),
        IClassFixture<PostgresClusterFixture>;
